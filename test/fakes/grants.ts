/**
 * The grant table shared by the fakes: authorization codes that are single use, short lived and bound to
 * client, redirect_uri and PKCE challenge (RFC 6749 §4.1.2–4.1.3, RFC 7636 §4.6), access tokens and
 * refresh tokens, all random opaque strings.
 */
import { createHash, randomBytes } from 'node:crypto';

export const randomToken = (prefix = '', bytes = 24): string => prefix + randomBytes(bytes).toString('base64url');

/** RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(ASCII(code_verifier))), always 43 characters. */
export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/; // RFC 7636 §4.1
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export interface Grant {
  clientId: string;
  redirectUri: string;
  /** The scope string as requested at the authorization endpoint. */
  scope: string;
  nonce?: string;
  /** The whole authorization request, for provider rules (Google's access_type/prompt). */
  params: URLSearchParams;
  revoked: boolean;
}

export interface AccessRecord {
  grant: Grant;
  expiresAt: number | null;
  revoked: boolean;
}

export type CodeProblem = 'unknown' | 'reused' | 'client' | 'expired' | 'redirect_uri' | 'pkce';

export class GrantTable {
  /** `challenge` is undefined for a provider without PKCE: the verifier is then not checked. */
  private readonly codes = new Map<string, { grant: Grant; challenge?: string; expiresAt: number; used: boolean }>();
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, { grant: Grant; revoked: boolean }>();

  constructor(private readonly codeTtlMs: number) {}

  issueCode(grant: Grant, challenge: string | undefined, prefix = ''): string {
    const code = randomToken(prefix);
    this.codes.set(code, { grant, challenge, expiresAt: Date.now() + this.codeTtlMs, used: false });
    return code;
  }

  redeemCode(code: string | null, clientId: string, redirectUri: string | null, verifier: string | null): Grant | CodeProblem {
    const rec = code ? this.codes.get(code) : undefined;
    if (!rec || rec.grant.revoked) return 'unknown';
    // RFC 6749 §4.1.2: a replayed code must fail and SHOULD revoke what was issued from it.
    if (rec.used) return (this.revoke(rec.grant), 'reused');
    rec.used = true; // one attempt per code, whatever its outcome
    if (rec.grant.clientId !== clientId) return 'client';
    if (Date.now() > rec.expiresAt) return 'expired';
    if (redirectUri !== rec.grant.redirectUri) return 'redirect_uri';
    if (rec.challenge !== undefined && (!verifier || !VERIFIER.test(verifier) || s256(verifier) !== rec.challenge)) return 'pkce';
    return rec.grant;
  }

  issueAccess(grant: Grant, ttlSeconds: number | null, prefix = ''): string {
    const token = randomToken(prefix);
    this.access.set(token, { grant, expiresAt: ttlSeconds === null ? null : Date.now() + ttlSeconds * 1000, revoked: false });
    return token;
  }

  issueRefresh(grant: Grant, prefix = ''): string {
    const token = randomToken(prefix);
    this.refresh.set(token, { grant, revoked: false });
    return token;
  }

  checkAccess(token: string): AccessRecord | 'expired' | 'invalid' {
    const rec = this.access.get(token);
    if (!rec || rec.revoked || rec.grant.revoked) return 'invalid';
    return rec.expiresAt !== null && Date.now() >= rec.expiresAt ? 'expired' : rec;
  }

  /** The grant behind a live refresh token issued to `clientId`. */
  useRefresh(token: string | null, clientId: string): Grant | undefined {
    const rec = token ? this.refresh.get(token) : undefined;
    return rec && !rec.revoked && !rec.grant.revoked && rec.grant.clientId === clientId ? rec.grant : undefined;
  }

  retireRefresh(token: string): void {
    const rec = this.refresh.get(token);
    if (rec) rec.revoked = true;
  }

  killAccessTokens(grant: Grant): void {
    for (const rec of this.access.values()) if (rec.grant === grant) rec.revoked = true;
  }

  /** The live grant an access or refresh token belongs to. */
  findGrant(token: string): Grant | undefined {
    const rec = this.access.get(token) ?? this.refresh.get(token);
    return rec && !rec.revoked && !rec.grant.revoked ? rec.grant : undefined;
  }

  revoke(grant: Grant): void {
    grant.revoked = true;
  }

  expireAccess(): void {
    for (const rec of this.access.values()) rec.expiresAt = Date.now() - 1;
  }

  revokeAll(): void {
    for (const rec of [...this.codes.values(), ...this.access.values(), ...this.refresh.values()]) rec.grant.revoked = true;
  }
}
