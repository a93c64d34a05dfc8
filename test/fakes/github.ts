/**
 * Fake GitHub (OAuth app + REST API in GitHub Enterprise layout, API under /api/v3), following
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
 * .../troubleshooting-oauth-app-access-token-request-errors, .../refreshing-user-access-tokens,
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api (conditional requests)
 * and https://docs.github.com/en/rest/apps/oauth-applications (delete an app authorization).
 */
import { createHash } from 'node:crypto';
import { formBody, mediaType, parseJson, sendForm, sendJson, type Exchange } from './fake-server.js';
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
  /** Repositories of the user (default 45, about 300 bytes each). */
  repoCount?: number;
}

type ApiEndpoint = 'profile' | 'emails' | 'repos' | 'repo' | 'redirect' | 'create';

/** Scopes any one of which an endpoint needs (GitHub's `X-Accepted-OAuth-Scopes`). */
const ACCEPTED_SCOPES: Partial<Record<ApiEndpoint, string[]>> = {
  emails: ['user', 'user:email'],
  create: ['public_repo', 'repo'],
};

/** Headers api.github.com sends on every answer that no API client needs to see. */
const API_SECURITY_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining',
  'strict-transport-security': 'max-age=31536000; includeSubdomains; preload',
  'x-frame-options': 'deny',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'",
  'x-github-media-type': 'github.v3; format=json',
  'x-github-request-id': 'F00D:1234:5678:9ABC:DEF0',
};

const RENAMED = 'Old-Name';

/** A repository document of about the real size's shape (https://docs.github.com/en/rest/repos/repos). */
function repository(base: string, id: number, name: string): Record<string, unknown> {
  const api = `${base}/api/v3`;
  return {
    id,
    node_id: Buffer.from(`010:Repository${id}`).toString('base64'),
    name,
    full_name: `octocat/${name}`,
    private: id % 3 === 0,
    owner: { login: 'octocat', id: 1, type: 'User' },
    html_url: `https://github.com/octocat/${name}`,
    description: `Repository number ${id}`,
    fork: false,
    url: `${api}/repos/octocat/${name}`,
    default_branch: 'main',
    stargazers_count: id * 7,
    language: 'TypeScript',
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
  };
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
  private repos: Array<Record<string, unknown>> = [];
  /** Where Link headers point (default: this fake's own API), to play a provider whose links leave it. */
  linkBase?: string;
  /** The host the tarball redirect names (another server in tests). */
  codeloadUrl?: string;

  constructor(private readonly opts: FakeGithubOptions = {}) {
    super({ clientId: 'github-client', clientSecret: 'github-secret' }, opts);
    this.codePrefix = 'gh';
    this.revokeRoute = { path: `/api/v3/applications/${this.clientId}/grant`, method: 'DELETE' };
    this.remaining = opts.rateLimit ?? 5000;
  }

  override async listen(): Promise<this> {
    await super.listen();
    this.repos = Array.from({ length: this.opts.repoCount ?? 45 }, (_, i) => repository(this.url, 1296269 + i, `repo-${i + 1}`));
    return this;
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
    const endpoint = this.endpointOf(ex);
    if (!endpoint) return send(404, { message: 'Not Found', documentation_url: DOCS });
    if (await this.playFailure(endpoint, ex)) return;

    const token = bearerToken(ex.headers, ['bearer', 'token']);
    if (!token) return send(401, { message: 'Requires authentication', documentation_url: DOCS });
    const rec = this.grants.checkAccess(token);
    if (typeof rec === 'string') return send(401, { message: 'Bad credentials', documentation_url: DOCS });
    const scopes = rec.grant.scope.split(/[\s,]+/).filter(Boolean);
    const accepted = ACCEPTED_SCOPES[endpoint] ?? [];
    const scopeHeaders = { 'x-oauth-scopes': scopes.join(', '), 'x-accepted-oauth-scopes': accepted.join(', ') };
    // Without one of the accepted scopes GitHub answers 404 (e-mail addresses, creating a repository).
    if (accepted.length > 0 && !accepted.some((scope) => scopes.includes(scope))) {
      return send(404, { message: 'Not Found', documentation_url: DOCS }, scopeHeaders);
    }
    if (endpoint === 'redirect') return this.redirect(ex, scopeHeaders);
    if (endpoint === 'create') return this.createRepo(ex, send, scopeHeaders);

    if (endpoint === 'repo' && decodeURIComponent(ex.path) === `/api/v3/repos/octocat/${RENAMED}`) return this.moved(ex);
    const page = this.document(endpoint, ex);
    if (!page) return send(404, { message: 'Not Found', documentation_url: DOCS }, scopeHeaders);
    const text = JSON.stringify(page.body);
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
      ...page.headers,
      ...API_SECURITY_HEADERS,
      etag,
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      'cache-control': 'private, max-age=60, s-maxage=60',
    });
    ex.res.end(text);
  }

  private endpointOf(ex: Exchange): ApiEndpoint | undefined {
    const path = ex.path.slice('/api/v3'.length);
    if (ex.method === 'POST') return path === '/user/repos' ? 'create' : undefined;
    if (ex.method !== 'GET') return undefined;
    if (path === '/user') return 'profile';
    if (path === '/user/emails') return 'emails';
    if (path === '/user/repos') return 'repos';
    if (/^\/repos\/[^/]+\/[^/]+\/tarball(\/[^/]+)?$/.test(path)) return 'redirect';
    if (/^\/repos\/[^/]+\/[^/]+$/.test(path) || /^\/repositories\/\d+$/.test(path)) return 'repo';
    return undefined;
  }

  /** The JSON document of a read, and its extra headers (Link for lists). */
  private document(endpoint: ApiEndpoint, ex: Exchange): { body: unknown; headers?: Record<string, string> } | undefined {
    if (endpoint === 'profile') return { body: this.user() };
    if (endpoint === 'emails') return { body: this.emails() };
    if (endpoint === 'repo') {
      const path = ex.path.slice('/api/v3'.length);
      const byId = /^\/repositories\/(\d+)$/.exec(path);
      const found = byId
        ? this.repos.find((r) => String(r.id) === byId[1])
        : this.repos.find((r) => `/repos/${r.full_name as string}` === decodeURIComponent(path));
      if (found) return { body: found };
      return undefined;
    }
    // GET /user/repos: per_page (default 30, max 100) and page, with a Link header (RFC 8288) whose
    // rel="next" is not always first: https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
    const perPage = Math.min(Math.max(Number(ex.query.get('per_page') ?? 30) || 30, 1), 100);
    const pageNo = Math.max(Number(ex.query.get('page') ?? 1) || 1, 1);
    const last = Math.max(1, Math.ceil(this.repos.length / perPage));
    const link = (n: number, rel: string) =>
      `<${this.linkBase ?? `${this.url}/api/v3`}/user/repos?per_page=${perPage}&page=${n}>; rel="${rel}"`;
    const links: string[] = [];
    if (pageNo > 1) links.push(link(pageNo - 1, 'prev'));
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
    if (pageNo > 1) links.push(link(1, 'first'));
    return {
      body: this.repos.slice((pageNo - 1) * perPage, pageNo * perPage),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }

  /** A renamed repository: 301 to its new location inside the API, as GitHub answers. */
  private moved(ex: Exchange): void {
    const url = `${this.url}/api/v3/repositories/${this.repos[0]!.id as number}`;
    ex.res.writeHead(301, { 'content-type': 'application/json; charset=utf-8', location: url, ...this.rateHeaders() });
    ex.res.end(JSON.stringify({ message: 'Moved Permanently', url, documentation_url: DOCS }));
  }

  /** GET /repos/{owner}/{repo}/tarball answers 302 to codeload, another host. */
  private redirect(ex: Exchange, headers: Record<string, string>): void {
    const target = `${this.codeloadUrl ?? 'https://codeload.github.com'}/octocat/Hello-World/legacy.tar.gz/refs/heads/main`;
    ex.res.writeHead(302, { location: target, ...this.rateHeaders(), ...headers }).end();
  }

  /** POST /user/repos with a JSON body naming the repository: 201, or 422 on a bad body. */
  private createRepo(
    ex: Exchange,
    send: (status: number, body: unknown, extra?: Record<string, string>) => void,
    headers: Record<string, string>,
  ): void {
    if (mediaType(ex.headers['content-type']) !== 'application/json') {
      return send(415, { message: 'Unsupported Media Type', documentation_url: DOCS }, headers);
    }
    const body = parseJson(ex.body) as { name?: unknown } | undefined;
    if (!body || typeof body.name !== 'string' || body.name === '') {
      return send(
        422,
        { message: 'Repository creation failed.', errors: [{ resource: 'Repository', code: 'missing_field', field: 'name' }] },
        headers,
      );
    }
    const repo = repository(this.url, 1000 + this.repos.length, body.name);
    this.repos.push(repo);
    send(201, repo, { ...headers, location: `${this.url}/api/v3/repos/octocat/${body.name}` });
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
