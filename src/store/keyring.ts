import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { secureRandomBytes } from '../random-bytes.js';

/**
 * AES-256-GCM sealing under a key ring: the first key encrypts, every key decrypts, so keys rotate by
 * putting the new one first and dropping the old one once its records have expired.
 *
 * Format: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id is a hash prefix of the
 * key, never the key. The associated data binds a ciphertext to the store key it was written under,
 * so a record copied to another key does not decrypt.
 */
export class Keyring {
  private readonly keys: Map<string, Buffer>;
  private readonly primaryId: string;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('a key ring needs at least one key');
    for (const key of keys) {
      if (key.length !== 32) throw new Error('every key must be 32 bytes');
    }
    this.keys = new Map(keys.map((key) => [keyIdOf(key), key]));
    this.primaryId = keyIdOf(keys[0]!);
  }

  /** A ring with one random key: records do not outlive the process. */
  static ephemeral(): Keyring {
    return new Keyring([randomBytes(32)]);
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = secureRandomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primaryId)!, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', this.primaryId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Returns undefined when the record was sealed by a key this ring no longer holds or was tampered with. */
  open(sealed: string, associatedData: string): string | undefined {
    const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !keyId || !iv || !tag || ciphertext === undefined) return undefined;
    const key = this.keys.get(keyId);
    if (!key) return undefined;
    try {
      // A full 16-byte tag only: Node would otherwise accept a truncated one (down to 4 bytes).
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}
