/**
 * ID-token signing for the OpenID Connect fakes: one RS256 key, its JWKS (RFC 7517) and signed ID tokens
 * (OpenID Connect Core 1.0 §2).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { randomToken } from './grants.js';

export class OidcKeys {
  private readonly kid = randomToken('', 10);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor() {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  /** An ID token for `audience` issued by `issuer` now, valid `ttlSeconds`. */
  idToken(issuer: string, audience: string, claims: Record<string, unknown>, ttlSeconds = 3600): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, iss: issuer, aud: audience, iat: now, exp: now + ttlSeconds })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .sign(this.privateKey);
  }
}
