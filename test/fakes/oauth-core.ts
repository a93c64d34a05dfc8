/**
 * The OAuth 2.0 rules every fake shares: the authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3),
 * the consent step, and client authentication at the token endpoint (RFC 6749 §2.3).
 */
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import {
  FakeServer,
  formBody,
  parseJson,
  sendText,
  type Endpoint,
  type Exchange,
  type Failure,
  type RecordedRequest,
} from './fake-server.js';
import { GrantTable, S256_CHALLENGE, type Grant } from './grants.js';

/** RFC 6749 §5.1: token responses must not be cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
export function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: <scheme> <token>` header when the scheme is one of `schemes`. */
export function bearerToken(headers: IncomingHttpHeaders, schemes = ['bearer']): string | undefined {
  const m = /^(\S+)\s+(\S+)$/.exec(headers.authorization ?? '');
  return m && schemes.includes(m[1]!.toLowerCase()) ? m[2] : undefined;
}

export interface CommonOptions {
  clientId?: string;
  clientSecret?: string;
  /** When set, authorization requests must use one of these redirect URIs exactly (as registered apps do). */
  redirectUris?: string[];
  /** Authorization code lifetime (default 60). */
  codeTtlSeconds?: number;
}

type ClientAuth = { ok: true } | { ok: false; error: 'invalid_client' | 'invalid_request'; description: string };

/**
 * What the shared per-provider suite (test/integration/providers/provider.suite.ts) drives: every
 * fake built on OAuthFake has it, so an adapter only says how to start one.
 */
export interface SuiteFake {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Absolute URL of the token endpoint, for requests the gateway would never make (a wrong client auth). */
  readonly tokenEndpoint: string;
  readonly requests: RecordedRequest[];
  authorize(authorizationUrl: string, opts?: { deny?: boolean }): Promise<URL>;
  env(): Record<string, string>;
  close(): Promise<void>;
  expireAccessTokens(): void;
  revokeAll(): void;
  tokenRequests(grantType?: string): RecordedRequest[];
  /** Requests that reached the provider's revocation endpoint (none when it has none). */
  revocationRequests(): RecordedRequest[];
  count(pathname: string, method?: string): number;
  failNext(endpoint: Endpoint, failure: Failure, times?: number): void;
}

export abstract class OAuthFake extends FakeServer implements SuiteFake {
  readonly clientId: string;
  readonly clientSecret: string;
  protected readonly grants: GrantTable;
  protected abstract readonly tokenPath: string;
  /** The revocation endpoint's path and method, when the provider has one. */
  protected revokeRoute?: { path: string; method: string };
  protected codePrefix = '';
  /**
   * 'required': the authorization request must carry an S256 challenge and the exchange its verifier.
   * 'ignored': the provider does not implement PKCE (RFC 7636 §5: unknown parameters are ignored).
   */
  protected pkce: 'required' | 'ignored' = 'required';
  private readonly redirectUris: string[] | undefined;

  constructor(defaults: { clientId: string; clientSecret: string }, opts: CommonOptions) {
    super();
    this.clientId = opts.clientId ?? defaults.clientId;
    this.clientSecret = opts.clientSecret ?? defaults.clientSecret;
    this.redirectUris = opts.redirectUris;
    this.grants = new GrantTable((opts.codeTtlSeconds ?? 60) * 1000);
  }

  /** Environment variables that point the gateway at this fake. */
  abstract env(): Record<string, string>;
  /** The `iss` sent on authorization responses (RFC 9207), if the provider sends one. */
  protected issuer(): string | undefined {
    return undefined;
  }
  /** Provider rules on top of the common ones; returns an error text. */
  protected checkAuthorizeExtra(_query: URLSearchParams): string | undefined {
    return undefined;
  }
  protected extraRedirectParams(_grant: Grant): Record<string, string> {
    return {};
  }
  /** The error a refused consent redirects with (RFC 6749 §4.1.2.1); some providers use their own names. */
  protected denial(): Record<string, string> {
    return { error: 'access_denied', error_description: 'The user denied the request' };
  }

  /** Plays the user at the consent screen; returns the Location the provider redirects the browser to. */
  async authorize(authorizationUrl: string, opts: { deny?: boolean } = {}): Promise<URL> {
    const target = new URL(authorizationUrl);
    if (target.origin !== new URL(this.url).origin) {
      throw new Error(`authorization URL ${target.origin} is not this fake (${this.url})`);
    }
    const { status, location, body } = await get(target, opts.deny ? { 'x-fake-consent': 'deny' } : {});
    if (status !== 302 || !location) throw new Error(`authorization request rejected (${status}): ${body}`);
    return new URL(location);
  }

  get tokenEndpoint(): string {
    return `${this.url}${this.tokenPath}`;
  }

  revocationRequests(): RecordedRequest[] {
    const route = this.revokeRoute;
    return route ? this.requests.filter((r) => r.path === route.path && r.method === route.method) : [];
  }

  expireAccessTokens(): void {
    this.grants.expireAccess();
  }

  revokeAll(): void {
    this.grants.revokeAll();
  }

  /** Token endpoint requests, optionally only those of one grant_type (GitHub's code exchange may omit it). */
  tokenRequests(grantType?: string): RecordedRequest[] {
    return this.requests.filter((r) => {
      if (r.path !== this.tokenPath || r.method !== 'POST') return false;
      const params = formBody(r) ?? new URLSearchParams((parseJson(r.body) ?? {}) as Record<string, string>);
      return !grantType || (params.get('grant_type') ?? (params.has('code') ? 'authorization_code' : '')) === grantType;
    });
  }

  protected handleAuthorize(ex: Exchange): void {
    const q = ex.query;
    const problem = this.checkAuthorize(q);
    if (problem) return sendText(ex.res, 400, problem);
    const grant: Grant = {
      clientId: this.clientId,
      redirectUri: q.get('redirect_uri')!,
      scope: q.get('scope') ?? '',
      nonce: q.get('nonce') ?? undefined,
      params: q,
      revoked: false,
    };
    // RFC 6749 §4.1.2 / §4.1.2.1; RFC 9207 adds iss to both success and error responses.
    const fields: Record<string, string> =
      ex.headers['x-fake-consent'] === 'deny'
        ? this.denial()
        : {
            code: this.grants.issueCode(grant, this.pkce === 'required' ? q.get('code_challenge')! : undefined, this.codePrefix),
            ...this.extraRedirectParams(grant),
          };
    fields.state = q.get('state')!;
    const iss = this.issuer();
    if (iss) fields.iss = iss;
    const location = new URL(grant.redirectUri); // existing query parameters are kept (RFC 6749 §3.1.2)
    for (const [k, v] of Object.entries(fields)) location.searchParams.set(k, v);
    ex.res.writeHead(302, { location: location.toString() }).end();
  }

  /** RFC 6749 §2.3: one authentication method per request; `allow` says which ones the provider accepts. */
  protected clientAuth(ex: Exchange, params: URLSearchParams, allow: { basic: boolean; post: boolean }): ClientAuth {
    const bad = (error: 'invalid_client' | 'invalid_request', description: string): ClientAuth => ({ ok: false, error, description });
    const header = ex.headers.authorization;
    const basic = parseBasic(header);
    const postSecret = params.get('client_secret');
    if (header !== undefined && !basic) return bad('invalid_client', 'Malformed client authentication');
    if (basic && postSecret !== null) return bad('invalid_request', 'Only one client authentication method may be used');
    let creds: { id: string; secret: string };
    if (basic) {
      if (!allow.basic) return bad('invalid_client', 'Client credentials must be sent in the request body');
      if (params.has('client_id') && params.get('client_id') !== basic.id) return bad('invalid_client', 'client_id mismatch');
      creds = basic;
    } else if (postSecret !== null) {
      if (!allow.post) return bad('invalid_client', 'Client credentials must be sent with HTTP Basic authentication');
      creds = { id: params.get('client_id') ?? '', secret: postSecret };
    } else {
      return bad('invalid_client', 'Client authentication is required');
    }
    if (creds.id !== this.clientId) return bad('invalid_client', 'Invalid client');
    if (creds.secret !== this.clientSecret) return bad('invalid_client', 'Invalid client secret');
    return { ok: true };
  }

  private checkAuthorize(q: URLSearchParams): string | undefined {
    for (const key of new Set(q.keys())) {
      if (q.getAll(key).length > 1) return `invalid_request: ${key} repeated (RFC 6749 §3.1)`;
    }
    if (q.get('client_id') !== this.clientId) return 'invalid_client: unknown client_id';
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return 'invalid_request: redirect_uri is required';
    if (!/^https?:\/\/[^#]+$/.test(redirectUri) || (this.redirectUris && !this.redirectUris.includes(redirectUri))) {
      return `invalid_request: redirect_uri ${redirectUri} is not registered for this client`;
    }
    if (q.get('response_type') !== 'code') return 'unsupported_response_type: response_type must be code';
    if (!q.get('state')) return 'invalid_request: state is required';
    if (this.pkce === 'required') {
      if (!S256_CHALLENGE.test(q.get('code_challenge') ?? '')) return 'invalid_request: code_challenge missing or malformed';
      if (q.get('code_challenge_method') !== 'S256') return 'invalid_request: code_challenge_method must be S256';
    }
    return this.checkAuthorizeExtra(q);
  }
}

function get(url: URL, headers: Record<string, string>): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
  });
}
