/**
 * Signing keys and ID tokens for the OpenID Connect fakes (OIDC Core §2, §3.1.3.6), with one-shot
 * claim overrides so that tests can tamper with the next token.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { randomToken } from './grants.js';

export type Claims = Record<string, unknown>;
export type ClaimsOverride = Claims | ((claims: Claims) => Claims);

export class IdTokenSigner {
  private readonly kid = randomToken('', 10);
  private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private nextOverride: ClaimsOverride | undefined;

  /** The JWKS document serving the public key. */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  /** One-shot change to the next token's claims; a claim set to undefined is removed. */
  override(override: ClaimsOverride): void {
    this.nextOverride = override;
  }

  /** An ID token for `audience` issued by `issuer` now, valid `ttlSeconds`. */
  idToken(issuer: string, audience: string, claims: Claims, ttlSeconds = 3600): Promise<string> {
    const now = nowSeconds();
    return this.sign({ ...claims, iss: issuer, aud: audience, iat: now, exp: now + ttlSeconds });
  }

  async sign(claims: Claims): Promise<string> {
    let final = { ...claims };
    const override = this.nextOverride;
    this.nextOverride = undefined;
    if (typeof override === 'function') final = override(final);
    else if (override) {
      for (const [name, value] of Object.entries(override)) {
        if (value === undefined) delete final[name];
        else final[name] = value;
      }
    }
    return new SignJWT(final).setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' }).sign(this.keys.privateKey);
  }
}

/** OIDC Core §3.1.3.6: at_hash = BASE64URL(left half of SHA-256(access_token)). */
export const atHash = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
