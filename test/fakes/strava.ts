/**
 * Fake Strava, following https://developers.strava.com/docs/authentication/ and
 * https://developers.strava.com/docs/oauth-updates/: comma-separated scopes, the granted (possibly narrower)
 * scope on the callback, body-only client credentials, no PKCE, `expires_at` beside `expires_in`, rotating
 * refresh tokens, deauthorization, and Strava's `{ message, errors: [...] }` error shape.
 */
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface FakeStravaOptions extends CommonOptions {
  athlete?: Record<string, unknown>;
  /** Scopes the athlete leaves ticked on the consent screen (default: all requested). */
  untick?: string[];
}

const SCOPES = ['read', 'read_all', 'profile:read_all', 'profile:write', 'activity:read', 'activity:read_all', 'activity:write'];
const stravaError = (message: string, resource: string, field: string, code = 'invalid') => ({
  message,
  errors: [{ resource, field, code }],
});

export class FakeStrava extends OAuthFake {
  protected override readonly tokenPath = '/oauth/token';
  private readonly athlete: Record<string, unknown>;

  constructor(private readonly opts: FakeStravaOptions = {}) {
    super({ clientId: '12345', clientSecret: 'strava-client-secret' }, opts);
    this.pkce = 'ignored';
    this.revokeRoute = { path: '/oauth/deauthorize', method: 'POST' };
    this.athlete = {
      id: 134815,
      username: 'marianne_t',
      resource_state: 3,
      firstname: 'Marianne',
      lastname: 'Teutenberg',
      city: 'San Francisco',
      country: 'US',
      sex: 'F',
      premium: true,
      profile_medium: 'https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/medium.jpg',
      profile: 'https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/large.jpg',
      ...opts.athlete,
    };
  }

  override env(): Record<string, string> {
    return {
      STRAVA_CLIENT_ID: this.clientId,
      STRAVA_CLIENT_SECRET: this.clientSecret,
      STRAVA_AUTHORIZATION_URL: `${this.url}/oauth/authorize`,
      STRAVA_TOKEN_URL: `${this.url}/oauth/token`,
      STRAVA_REVOCATION_URL: `${this.url}/oauth/deauthorize`,
      STRAVA_API_URL: `${this.url}/api/v3`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    // Strava separates scopes with commas; a space-separated list is one unknown scope.
    const scopes = (q.get('scope') ?? '').split(',');
    if (!scopes.every((s) => SCOPES.includes(s))) return JSON.stringify(stravaError('Bad Request', 'Authorize', 'scope'));
    if (!['auto', 'force', null].includes(q.get('approval_prompt')))
      return JSON.stringify(stravaError('Bad Request', 'Authorize', 'approval_prompt'));
    return undefined;
  }

  /** The callback's `scope` lists what the athlete left ticked. */
  protected override extraRedirectParams(grant: Grant): Record<string, string> {
    return { scope: this.granted(grant).join(',') };
  }

  private granted(grant: Grant): string[] {
    return grant.scope.split(',').filter((s) => !(this.opts.untick ?? []).includes(s));
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /oauth/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /oauth/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /oauth/deauthorize') return (await this.playFailure('revoke', ex)) ? undefined : this.deauthorize(ex);
    if (key === 'GET /api/v3/athlete') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 404, stravaError('Record Not Found', 'resource', 'path', 'invalid'));
  }

  private token(ex: Exchange): void {
    const fail = (resource: string, field: string, code = 'invalid') =>
      sendJson(ex.res, 400, stravaError('Bad Request', resource, field, code), NO_STORE);
    const form = formBody(ex) ?? new URLSearchParams();
    // Credentials are read from the body only; an Authorization header is ignored.
    if (!form.get('client_id')) return fail('Application', 'client_id', 'missing');
    const auth = this.clientAuth({ ...ex, headers: { ...ex.headers, authorization: undefined } }, form, { basic: false, post: true });
    if (!auth.ok)
      return fail(
        'Application',
        form.get('client_secret') === null ? 'client_secret' : 'client_id',
        form.get('client_secret') === null ? 'missing' : 'invalid',
      );
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), null);
      if (typeof grant === 'string') return fail('AuthorizationCode', 'code');
      return this.sendTokens(ex, grant, true);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail('RefreshToken', 'refresh_token');
      this.grants.retireRefresh(old!); // the newest refresh token wins; older ones stop working
      return this.sendTokens(ex, grant, false);
    }
    fail('RefreshToken', 'grant_type');
  }

  private sendTokens(ex: Exchange, grant: Grant, withAthlete: boolean): void {
    const expiresIn = 21600;
    const { id, username, firstname, lastname, profile, profile_medium } = this.athlete;
    sendJson(
      ex.res,
      200,
      {
        token_type: 'Bearer',
        expires_at: Math.floor(Date.now() / 1000) + expiresIn,
        expires_in: expiresIn,
        refresh_token: this.grants.issueRefresh(grant),
        access_token: this.grants.issueAccess(grant, expiresIn),
        ...(withAthlete ? { athlete: { id, username, resource_state: 2, firstname, lastname, profile, profile_medium } } : {}),
      },
      NO_STORE,
    );
  }

  private deauthorize(ex: Exchange): void {
    const token = bearerToken(ex.headers) ?? formBody(ex)?.get('access_token') ?? ex.query.get('access_token');
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') return sendJson(ex.res, 401, stravaError('Authorization Error', 'Athlete', 'access_token'));
    this.grants.revoke(rec.grant);
    sendJson(ex.res, 200, { access_token: token });
  }

  private me(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') return sendJson(ex.res, 401, stravaError('Authorization Error', 'Athlete', 'access_token'));
    sendJson(ex.res, 200, this.athlete, { 'x-ratelimit-limit': '200,2000', 'x-ratelimit-usage': '1,1' });
  }
}

export async function startFakeStrava(opts: FakeStravaOptions = {}): Promise<FakeStrava> {
  return new FakeStrava(opts).listen();
}
