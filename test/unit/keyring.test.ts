import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Keyring } from '../../src/store/keyring.js';

const token = 'gho_16C7e42F292c6912E7710c838347Ae178B4a';
const storeKey = 'conn:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA:github';

/** The sealed record with one of its five dot-separated parts replaced. */
function withPart(sealed: string, index: number, replace: (part: string) => string): string {
  const parts = sealed.split('.');
  parts[index] = replace(parts[index]!);
  return parts.join('.');
}

/** Changes one character in the middle of a part (never the last one, whose low bits may be padding). */
function flipMiddle(part: string): string {
  const i = Math.floor(part.length / 2) - 1;
  const replacement = part[i] === 'A' ? 'B' : 'A';
  return part.slice(0, i) + replacement + part.slice(i + 1);
}

describe('Keyring', () => {
  it('opens what it sealed under the same store key', () => {
    const ring = new Keyring([randomBytes(32)]);
    const plaintext = JSON.stringify({ accessToken: token, scopes: ['read:user'], note: 'ünïcødé ✓' });
    expect(ring.open(ring.seal(plaintext, storeKey), storeKey)).toBe(plaintext);
    expect(ring.open(ring.seal('', storeKey), storeKey)).toBe('');
  });

  it('seals the same plaintext differently every time and shows neither the plaintext nor the key', () => {
    const key = randomBytes(32);
    const ring = new Keyring([key]);
    const first = ring.seal(token, storeKey);
    const second = ring.seal(token, storeKey);
    expect(first).not.toBe(second);
    for (const sealed of [first, second]) {
      expect(sealed).not.toContain(token);
      expect(sealed).not.toContain(Buffer.from(token).toString('base64url'));
      expect(sealed).not.toContain(Buffer.from(token).toString('base64'));
      expect(sealed).not.toContain(key.toString('base64url'));
      expect(sealed).not.toContain(key.toString('base64'));
      expect(sealed.split('.')).toHaveLength(5);
    }
  });

  describe('a tampered record reads as absent', () => {
    const ring = new Keyring([randomBytes(32)]);
    const sealed = ring.seal(`${token} and enough text that the ciphertext has a middle`, storeKey);
    const cases: Array<[string, string]> = [
      ['version', withPart(sealed, 0, () => 'v2')],
      ['key id', withPart(sealed, 1, flipMiddle)],
      ['iv', withPart(sealed, 2, flipMiddle)],
      ['authentication tag', withPart(sealed, 3, flipMiddle)],
      ['ciphertext', withPart(sealed, 4, flipMiddle)],
      ['ciphertext cut short', withPart(sealed, 4, (part) => part.slice(0, 8))],
      ['authentication tag removed', withPart(sealed, 3, () => '')],
      ['a missing part', sealed.split('.').slice(0, 4).join('.')],
      ['not a record at all', 'not-a-sealed-record'],
    ];

    it.each(cases)('%s changed', (_what, tampered) => {
      expect(tampered).not.toBe(sealed);
      expect(ring.open(tampered, storeKey)).toBeUndefined();
    });

    it('authentication tag truncated to 4 bytes', () => {
      // GCM verifies a short tag against a prefix of the real one unless the length is pinned:
      // accepting it lets a forger succeed with 2^32 tries instead of 2^128.
      const tag = Buffer.from(sealed.split('.')[3]!, 'base64url');
      const truncated = withPart(sealed, 3, () => tag.subarray(0, 4).toString('base64url'));
      expect(ring.open(truncated, storeKey)).toBeUndefined();
    });
  });

  it('refuses a record moved to another store key', () => {
    const ring = new Keyring([randomBytes(32)]);
    const sealed = ring.seal(token, 'session:aaaa');
    expect(ring.open(sealed, 'session:bbbb')).toBeUndefined();
    expect(ring.open(sealed, 'conn:aaaa:github')).toBeUndefined();
    expect(ring.open(sealed, 'session:aaaa')).toBe(token);
  });

  it('rotates keys: a ring [new, old] opens records sealed under old and seals under new', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new Keyring([oldKey]);
    const rotated = new Keyring([newKey, oldKey]);

    const sealedBefore = before.seal(token, storeKey);
    expect(rotated.open(sealedBefore, storeKey)).toBe(token);

    const sealedAfter = rotated.seal(token, storeKey);
    expect(before.open(sealedAfter, storeKey)).toBeUndefined();
    expect(new Keyring([newKey]).open(sealedAfter, storeKey)).toBe(token);
  });

  it('reads a record sealed under a retired key as absent', () => {
    const retired = new Keyring([randomBytes(32)]);
    const current = new Keyring([randomBytes(32)]);
    expect(current.open(retired.seal(token, storeKey), storeKey)).toBeUndefined();
  });

  it('rejects a key that is not 32 bytes, and an empty ring', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => new Keyring([randomBytes(length)])).toThrow('32 bytes');
      expect(() => new Keyring([randomBytes(32), randomBytes(length)])).toThrow('32 bytes');
    }
    expect(() => new Keyring([])).toThrow();
  });

  it('gives each process its own ephemeral key', () => {
    const sealed = Keyring.ephemeral().seal(token, storeKey);
    expect(Keyring.ephemeral().open(sealed, storeKey)).toBeUndefined();
  });
});
