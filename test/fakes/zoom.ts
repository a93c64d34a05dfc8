/**
 * Fake Zoom (user-level OAuth app and API v2 /users/me), following
 * https://developers.zoom.us/docs/integrations/oauth/ and
 * https://developers.zoom.us/docs/integrations/oauth-error-messages/: Basic client authentication,
 * `{reason, error}` errors, single-use refresh tokens, no tokens in query strings, and scopes that
 * live on the app (a `scope` on the authorization URL is refused, as remote-office-hours-queue#342 saw).
 */
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface ZoomUser {
  id: string;
  first_name: string;
  last_name: string;
  display_name: string;
  email: string;
  type: number;
  pmi: number;
  timezone: string;
  verified: number;
  pic_url: string;
  account_id: string;
  status: string;
}

export interface FakeZoomOptions extends CommonOptions {
  user?: Partial<ZoomUser>;
}

/** The scopes configured on the fake app in the Marketplace. */
const APP_SCOPES = 'user:read:user';

export class FakeZoom extends OAuthFake {
  protected override readonly tokenPath = '/oauth/token';
  private readonly user: ZoomUser;

  constructor(opts: FakeZoomOptions = {}) {
    super({ clientId: 'zoom-client', clientSecret: 'zoom-secret' }, opts);
    this.revokeRoute = { path: '/oauth/revoke', method: 'POST' };
    this.user = {
      id: 'KDcuGIm1QgePTO8WbOqwIQ',
      first_name: 'Ada',
      last_name: 'Lovelace',
      display_name: 'Ada Lovelace',
      email: 'ada@example.com',
      type: 1,
      pmi: 3542471135,
      timezone: 'Europe/London',
      verified: 1,
      pic_url: 'https://lh3.googleusercontent.com/zoom-avatar.jpg',
      account_id: 'q6gBJVO5TzexKYTb_I2rpg',
      status: 'active',
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      ZOOM_CLIENT_ID: this.clientId,
      ZOOM_CLIENT_SECRET: this.clientSecret,
      ZOOM_AUTHORIZATION_URL: `${this.url}/oauth/authorize`,
      ZOOM_TOKEN_URL: `${this.url}/oauth/token`,
      ZOOM_REVOCATION_URL: `${this.url}/oauth/revoke`,
      ZOOM_API_URL: `${this.url}/v2`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (q.has('scope')) return 'invalid_scope: Invalid scopes';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /oauth/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /oauth/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /oauth/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === 'GET /v2/users/me') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 404, { code: 404, message: 'Not Found' });
  }

  private token(ex: Exchange): void {
    const fail = (error: string, reason: string) => sendJson(ex.res, 400, { reason, error }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail('invalid_request', 'Invalid request : Content-Type should be application/x-www-form-urlencoded');
    const auth = this.clientAuth(ex, form, { basic: true, post: false });
    if (!auth.ok) return fail('invalid_client', 'Invalid client_id or client_secret');

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri') return fail('invalid_request', 'Invalid redirect uri');
      if (grant === 'pkce') return fail('invalid_request', 'Invalid code_verifier');
      if (typeof grant === 'string') return fail('invalid_request', 'Invalid authorization code');
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail('invalid_grant', 'Invalid Token!');
      this.grants.retireRefresh(old!); // each refresh invalidates the old refresh token
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    return fail('unsupported_grant_type', 'Unsupported grant type');
  }

  private tokens(grant: Grant): Record<string, string | number> {
    return {
      access_token: this.grants.issueAccess(grant, 3599),
      token_type: 'bearer',
      refresh_token: this.grants.issueRefresh(grant),
      expires_in: 3599,
      scope: APP_SCOPES,
    };
  }

  private revoke(ex: Exchange): void {
    const form = formBody(ex) ?? new URLSearchParams();
    const auth = this.clientAuth(ex, form, { basic: true, post: false });
    if (!auth.ok) return sendJson(ex.res, 400, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
    const grant = this.grants.findGrant(form.get('token') ?? '');
    if (!grant) return sendJson(ex.res, 400, { reason: 'Invalid Token!', error: 'invalid_request' });
    this.grants.revoke(grant);
    sendJson(ex.res, 200, { status: 'success' });
  }

  private me(ex: Exchange): void {
    // Since February 2023 a token in the query string is refused (passport-zoom-oauth2#6).
    if (ex.query.has('access_token')) return sendJson(ex.res, 401, { code: 124, message: 'Invalid access token.' });
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (rec === 'expired') return sendJson(ex.res, 401, { code: 124, message: 'Access token is expired.' });
    if (rec === 'invalid') return sendJson(ex.res, 401, { code: 124, message: 'Invalid access token.' });
    sendJson(ex.res, 200, this.user);
  }
}

export async function startFakeZoom(opts: FakeZoomOptions = {}): Promise<FakeZoom> {
  return new FakeZoom(opts).listen();
}
