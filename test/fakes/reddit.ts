/**
 * Fake Reddit, following https://github.com/reddit-archive/reddit/wiki/OAuth2 and
 * https://github.com/reddit-archive/reddit/wiki/API: Basic client authentication only, a descriptive
 * User-Agent on every request (generic or missing ones get 429), `duration=permanent` for a refresh token
 * that is never rotated, token errors inside HTTP 200, revocation answering 204, and the API on its own host
 * (here the path prefix `/oauth.reddit.com`; the www host refuses API calls).
 */
import { formBody, sendJson, sendText, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, parseBasic, type CommonOptions } from './oauth-core.js';

export interface FakeRedditOptions extends CommonOptions {
  user?: Record<string, unknown>;
}

const API = '/oauth.reddit.com';
/** Default agents of HTTP libraries, which Reddit throttles hard. */
const GENERIC_AGENT = /^(node|undici|python-requests|python-urllib|curl|axios|go-http-client|okhttp|java)\b/i;

export class FakeReddit extends OAuthFake {
  protected override readonly tokenPath = '/api/v1/access_token';
  private readonly user: Record<string, unknown>;

  constructor(opts: FakeRedditOptions = {}) {
    super({ clientId: 'p-jcoLKBynTLew', clientSecret: 'gko_LXELoV07ZBNUXrvWZfzE3aI' }, opts);
    this.pkce = 'ignored';
    this.revokeRoute = { path: '/api/v1/revoke_token', method: 'POST' };
    this.user = {
      id: '1w72',
      name: 'reddit_bot',
      icon_img: 'https://styles.redditmedia.com/t5_1/styles/profileIcon_abc.png?width=256&amp;height=256&amp;crop=256:256,smart&amp;s=0f1e',
      has_verified_email: true,
      created_utc: 1136073600,
      link_karma: 10,
      comment_karma: 20,
      is_gold: false,
      verified: true,
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      REDDIT_CLIENT_ID: this.clientId,
      REDDIT_CLIENT_SECRET: this.clientSecret,
      REDDIT_AUTHORIZATION_URL: `${this.url}/api/v1/authorize`,
      REDDIT_TOKEN_URL: `${this.url}/api/v1/access_token`,
      REDDIT_REVOCATION_URL: `${this.url}/api/v1/revoke_token`,
      REDDIT_API_URL: `${this.url}${API}`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (!['temporary', 'permanent'].includes(q.get('duration') ?? '')) return 'invalid_request: duration must be temporary or permanent';
    const known = ['identity', 'read', 'history', 'mysubreddits', 'submit', 'edit', 'vote', 'account'];
    if (!(q.get('scope') ?? '').split(/[ ,]/).every((s) => known.includes(s))) return 'invalid_scope';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const agent = ex.headers['user-agent'] ?? '';
    if (ex.path !== '/api/v1/authorize' && (!agent || GENERIC_AGENT.test(agent))) {
      return sendText(ex.res, 429, 'Too Many Requests', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '600' });
    }
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /api/v1/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /api/v1/access_token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /api/v1/revoke_token') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === `GET ${API}/api/v1/me`) return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 403, { message: 'Forbidden', error: 403 });
  }

  /** Basic only; the body's client_secret is not read. */
  private authenticated(ex: Exchange): boolean {
    const basic = parseBasic(ex.headers.authorization);
    const ok = basic?.id === this.clientId && basic.secret === this.clientSecret;
    if (!ok) sendJson(ex.res, 401, { message: 'Unauthorized', error: 401 }, { 'www-authenticate': 'Basic realm="reddit"' });
    return ok;
  }

  private token(ex: Exchange): void {
    // Reddit answers grant errors with HTTP 200.
    const fail = (error: string) => sendJson(ex.res, 200, { error }, NO_STORE);
    if (!this.authenticated(ex)) return;
    const form = formBody(ex);
    if (!form) return fail('unsupported_grant_type');
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), null);
      if (typeof grant === 'string') return fail('invalid_grant');
      return this.sendTokens(ex, grant, grant.params.get('duration') === 'permanent');
    }
    if (grantType === 'refresh_token') {
      const grant = this.grants.useRefresh(form.get('refresh_token'), this.clientId);
      if (!grant) return fail('invalid_grant');
      return this.sendTokens(ex, grant, false);
    }
    fail('unsupported_grant_type');
  }

  private sendTokens(ex: Exchange, grant: Grant, withRefresh: boolean): void {
    const body: Record<string, string | number> = {
      access_token: this.grants.issueAccess(grant, 86400, 'eyJhbGciOiJSUzI1NiIs.'),
      token_type: 'bearer',
      expires_in: 86400,
      scope: grant.scope,
    };
    if (withRefresh) body.refresh_token = this.grants.issueRefresh(grant);
    sendJson(ex.res, 200, body, NO_STORE);
  }

  private revoke(ex: Exchange): void {
    if (!this.authenticated(ex)) return;
    const grant = this.grants.findGrant(formBody(ex)?.get('token') ?? '');
    if (grant) this.grants.revoke(grant);
    ex.res.writeHead(204).end();
  }

  private me(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') return sendJson(ex.res, 401, { message: 'Unauthorized', error: 401 });
    sendJson(ex.res, 200, this.user, { 'x-ratelimit-used': '1', 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': '420' });
  }
}

export async function startFakeReddit(opts: FakeRedditOptions = {}): Promise<FakeReddit> {
  return new FakeReddit(opts).listen();
}
