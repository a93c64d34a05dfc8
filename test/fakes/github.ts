/**
 * Fake GitHub (OAuth app + REST API in GitHub Enterprise layout, API under /api/v3), following
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
 * .../troubleshooting-oauth-app-access-token-request-errors, .../refreshing-user-access-tokens,
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api (conditional requests)
 * and https://docs.github.com/en/rest/apps/oauth-applications (delete an app authorization).
 */
import { createHash } from 'node:crypto';
import { formBody, parseJson, sendForm, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, parseBasic, type CommonOptions } from './oauth-core.js';

export interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: 'public' | 'private' | null;
}

export interface FakeGithubOptions extends CommonOptions {
  /** Fields merged over the default /user document (e.g. `{ email: 'me@example.com' }`; null by default). */
  user?: Record<string, unknown>;
  emails?: GithubEmail[];
  /** "Expiring user access tokens": expires_in 28800, refresh_token, and rotation on refresh. */
  expiringTokens?: boolean;
  /** Initial X-RateLimit-Remaining (default 5000). */
  rateLimit?: number;
}

const DOCS = 'https://docs.github.com/rest';
const TOKEN_ERRORS: Record<string, string> = {
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_verification_code: 'The code passed is incorrect or expired.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  unsupported_grant_type: 'The grant type is not supported.',
};

export class FakeGithub extends OAuthFake {
  protected override readonly tokenPath = '/login/oauth/access_token';
  private remaining: number;
  private resetAt = 0;

  constructor(private readonly opts: FakeGithubOptions = {}) {
    super({ clientId: 'github-client', clientSecret: 'github-secret' }, opts);
    this.codePrefix = 'gh';
    this.revokeRoute = { path: `/api/v3/applications/${this.clientId}/grant`, method: 'DELETE' };
    this.remaining = opts.rateLimit ?? 5000;
  }

  override env(): Record<string, string> {
    return {
      GITHUB_CLIENT_ID: this.clientId,
      GITHUB_CLIENT_SECRET: this.clientSecret,
      GITHUB_AUTHORIZATION_URL: `${this.url}/login/oauth/authorize`,
      GITHUB_TOKEN_URL: `${this.url}/login/oauth/access_token`,
      GITHUB_API_URL: `${this.url}/api/v3`,
      GITHUB_ISSUER: `${this.url}/login/oauth`,
    };
  }

  /** Sets X-RateLimit-Remaining; at 0 the API answers 403 until raised again. */
  rateLimit(remaining: number): void {
    this.remaining = remaining;
    this.resetAt = 0;
  }

  user(): Record<string, unknown> {
    const api = `${this.url}/api/v3`;
    return {
      login: 'octocat',
      id: 1,
      node_id: 'MDQ6VXNlcjE=',
      avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
      gravatar_id: '',
      url: `${api}/users/octocat`,
      html_url: 'https://github.com/octocat',
      repos_url: `${api}/users/octocat/repos`,
      type: 'User',
      site_admin: false,
      name: 'The Octocat',
      company: '@github',
      blog: 'https://github.blog',
      location: 'San Francisco',
      email: null,
      hireable: null,
      bio: 'Mascot',
      twitter_username: null,
      public_repos: 8,
      public_gists: 8,
      followers: 20,
      following: 0,
      created_at: '2011-01-25T18:44:36Z',
      updated_at: '2024-05-01T09:12:00Z',
      ...this.opts.user,
    };
  }

  emails(): GithubEmail[] {
    // The primary address is deliberately not first.
    return (
      this.opts.emails ?? [
        { email: 'octocat@old-employer.example', primary: false, verified: true, visibility: null },
        { email: 'octocat@example.com', primary: true, verified: true, visibility: 'private' },
      ]
    );
  }

  protected override issuer(): string {
    return `${this.url}/login/oauth`;
  }

  protected override async route(ex: Exchange): Promise<void> {
    if (ex.method === 'GET' && ex.path === '/login/oauth/authorize') return this.handleAuthorize(ex);
    if (ex.method === 'POST' && ex.path === this.tokenPath) {
      return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    }
    if (ex.path.startsWith('/api/v3/')) return this.api(ex);
    sendJson(ex.res, 404, { message: 'Not Found', documentation_url: DOCS });
  }

  private token(ex: Exchange): void {
    // Errors are HTTP 200 with an error field; without Accept: application/json the body is form-encoded.
    const json = /application\/json/i.test(ex.headers.accept ?? '');
    const reply = (fields: Record<string, string | number>) =>
      json ? sendJson(ex.res, 200, fields, NO_STORE) : sendForm(ex.res, 200, fields, NO_STORE);
    const fail = (error: string) =>
      reply({
        error,
        error_description: TOKEN_ERRORS[error]!,
        error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, '-')}`,
      });
    // GitHub takes the parameters as a form or as a JSON object.
    const params = formBody(ex) ?? new URLSearchParams((parseJson(ex.body) ?? {}) as Record<string, string>);
    if (!this.clientAuth(ex, params, { basic: true, post: true }).ok) return fail('incorrect_client_credentials');

    const grantType = params.get('grant_type') ?? 'authorization_code'; // optional for the code exchange
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(params.get('code'), this.clientId, params.get('redirect_uri'), params.get('code_verifier'));
      if (grant === 'redirect_uri') return fail('redirect_uri_mismatch');
      if (typeof grant === 'string') return fail('bad_verification_code'); // a wrong code_verifier included
      return reply(this.tokens(grant));
    }
    if (grantType === 'refresh_token') {
      const old = params.get('refresh_token');
      const grant = this.opts.expiringTokens ? this.grants.useRefresh(old, this.clientId) : undefined;
      if (!grant) return fail('bad_refresh_token');
      // Refreshing invalidates the old access token and the old refresh token.
      this.grants.retireRefresh(old!);
      this.grants.killAccessTokens(grant);
      return reply(this.tokens(grant));
    }
    return fail('unsupported_grant_type');
  }

  private tokens(grant: Grant): Record<string, string | number> {
    const scope = grant.scope
      .split(/[\s,]+/)
      .filter(Boolean)
      .join(','); // granted scopes are comma-separated
    if (!this.opts.expiringTokens) {
      return { access_token: this.grants.issueAccess(grant, null, 'gho_'), token_type: 'bearer', scope };
    }
    return {
      access_token: this.grants.issueAccess(grant, 28800, 'ghu_'),
      expires_in: 28800,
      refresh_token: this.grants.issueRefresh(grant, 'ghr_'),
      refresh_token_expires_in: 15897600,
      scope,
      token_type: 'bearer',
    };
  }

  private rateHeaders(): Record<string, string | number> {
    const now = Math.floor(Date.now() / 1000);
    if (this.resetAt <= now) this.resetAt = now + 60; // the window never actually resets: tests call rateLimit()
    return {
      'x-ratelimit-limit': 5000,
      'x-ratelimit-remaining': Math.max(this.remaining, 0),
      'x-ratelimit-reset': this.resetAt,
      'x-ratelimit-used': 5000 - Math.max(this.remaining, 0),
      'x-ratelimit-resource': 'core',
    };
  }

  private async api(ex: Exchange): Promise<void> {
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) =>
      sendJson(ex.res, status, body, { ...this.rateHeaders(), ...extra });
    if (!ex.headers['user-agent']) {
      return send(403, {
        message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
        documentation_url: `${DOCS}/overview/resources-in-the-rest-api#user-agent-required`,
      });
    }
    const revoke = /^\/api\/v3\/applications\/([^/]+)\/grant$/.exec(ex.path);
    if (revoke && ex.method === 'DELETE') {
      return (await this.playFailure('revoke', ex)) ? undefined : this.revokeGrant(ex, decodeURIComponent(revoke[1]!), send);
    }
    const endpoint = ex.method !== 'GET' ? undefined : ({ '/api/v3/user': 'profile', '/api/v3/user/emails': 'emails' } as const)[ex.path];
    if (!endpoint) return send(404, { message: 'Not Found', documentation_url: DOCS });
    if (await this.playFailure(endpoint, ex)) return;

    const token = bearerToken(ex.headers, ['bearer', 'token']);
    if (!token) return send(401, { message: 'Requires authentication', documentation_url: DOCS });
    const rec = this.grants.checkAccess(token);
    if (typeof rec === 'string') return send(401, { message: 'Bad credentials', documentation_url: DOCS });
    const scopes = rec.grant.scope.split(/[\s,]+/).filter(Boolean);
    const scopeHeaders = {
      'x-oauth-scopes': scopes.join(', '),
      'x-accepted-oauth-scopes': endpoint === 'emails' ? 'user, user:email' : '',
    };
    // Listing e-mail addresses needs the user:email (or user) scope; without it GitHub answers 404.
    if (endpoint === 'emails' && !scopes.includes('user:email') && !scopes.includes('user')) {
      return send(404, { message: 'Not Found', documentation_url: DOCS }, scopeHeaders);
    }
    const text = JSON.stringify(endpoint === 'profile' ? this.user() : this.emails());
    const etag = `W/"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
    // A 304 to a conditional request does not count against the rate limit.
    const tags = (ex.headers['if-none-match'] ?? '').split(',').map((t) => t.trim());
    if (tags.includes(etag) || tags.includes('*')) {
      ex.res.writeHead(304, { ...this.rateHeaders(), ...scopeHeaders, etag }).end();
      return;
    }
    if (this.remaining <= 0) {
      return send(403, {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
      });
    }
    this.remaining -= 1;
    ex.res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      ...this.rateHeaders(),
      ...scopeHeaders,
      etag,
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      'cache-control': 'private, max-age=60, s-maxage=60',
    });
    ex.res.end(text);
  }

  /** DELETE /applications/{client_id}/grant: Basic client auth, JSON {access_token}. */
  private revokeGrant(ex: Exchange, pathClientId: string, send: (status: number, body: unknown) => void): void {
    const basic = parseBasic(ex.headers.authorization);
    if (!basic || pathClientId !== this.clientId || basic.id !== this.clientId || basic.secret !== this.clientSecret) {
      return send(401, { message: 'Bad credentials', documentation_url: DOCS });
    }
    const body = parseJson(ex.body) as { access_token?: unknown } | undefined;
    if (body === undefined) return send(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    if (typeof body.access_token !== 'string')
      return send(422, { message: 'Invalid request.\n\n"access_token" wasn\'t supplied.', documentation_url: DOCS });
    if (!this.grants.findGrant(body.access_token)) return send(404, { message: 'Not Found', documentation_url: DOCS });
    // Deleting the grant removes the user's authorization of the app: every token of that user dies.
    // The fake has a single user, so that is every grant.
    this.grants.revokeAll();
    ex.res.writeHead(204, this.rateHeaders()).end();
  }
}

export async function startFakeGithub(opts: FakeGithubOptions = {}): Promise<FakeGithub> {
  return new FakeGithub(opts).listen();
}
