/**
 * Fake X (OAuth 2.0 authorization code with PKCE, and API v2 /users/me), following
 * https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code,
 * https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token and
 * https://docs.x.com/x-api/users/user-lookup-me. Bad codes and dead refresh tokens are
 * `invalid_request` (plhery/node-twitter-api-v2#496); a confidential client must use Basic
 * (unasuke/omniauth-twitter2#4).
 */
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface XUser {
  id: string;
  name: string;
  username: string;
  profile_image_url: string;
  confirmed_email?: string;
}

export interface FakeXOptions extends CommonOptions {
  user?: Partial<XUser>;
}

const ACCESS_TTL = 7200;

export class FakeX extends OAuthFake {
  protected override readonly tokenPath = '/2/oauth2/token';
  private readonly user: XUser;

  constructor(opts: FakeXOptions = {}) {
    super({ clientId: 'x-client', clientSecret: 'x-secret' }, opts);
    this.revokeRoute = { path: '/2/oauth2/revoke', method: 'POST' };
    this.user = {
      id: '2244994945',
      name: 'Ada Lovelace',
      username: 'ada_lovelace',
      profile_image_url: 'https://pbs.twimg.com/profile_images/1445764922474827784/W2zEPN7U_normal.jpg',
      confirmed_email: 'ada@example.com',
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      X_CLIENT_ID: this.clientId,
      X_CLIENT_SECRET: this.clientSecret,
      X_AUTHORIZATION_URL: `${this.url}/i/oauth2/authorize`,
      X_TOKEN_URL: `${this.url}/2/oauth2/token`,
      X_REVOCATION_URL: `${this.url}/2/oauth2/revoke`,
      X_API_URL: `${this.url}/2`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    // X asks for at least one scope; PKCE is required for every client (checked by the core).
    if (!q.get('scope')) return 'invalid_request: scope is required';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /i/oauth2/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /2/oauth2/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /2/oauth2/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === 'GET /2/users/me') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 404, { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] });
  }

  private token(ex: Exchange): void {
    const fail = (status: number, error: string, description: string) =>
      sendJson(ex.res, status, { error, error_description: description }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail(400, 'invalid_request', 'Missing required parameter [grant_type].');
    // A confidential client authenticates with Basic only; credentials in the body are not read.
    const auth = this.clientAuth(ex, form, { basic: true, post: false });
    if (!auth.ok) return fail(401, 'unauthorized_client', 'Missing valid authorization header');

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (typeof grant === 'string') return fail(400, 'invalid_request', 'Value passed for the authorization code was invalid.');
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail(400, 'invalid_request', 'Value passed for the token was invalid.');
      this.grants.retireRefresh(old!); // single use
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    return fail(400, 'invalid_request', 'Missing required parameter [grant_type].');
  }

  private tokens(grant: Grant): Record<string, string | number> {
    const body: Record<string, string | number> = {
      token_type: 'bearer',
      expires_in: ACCESS_TTL,
      access_token: this.grants.issueAccess(grant, ACCESS_TTL),
      scope: grant.scope,
    };
    // A refresh token only with offline.access.
    if (grant.scope.split(' ').includes('offline.access')) body.refresh_token = this.grants.issueRefresh(grant);
    return body;
  }

  /** POST /2/oauth2/revoke (RFC 7009 shape): `{revoked:true}`; the whole grant ends. */
  private revoke(ex: Exchange): void {
    const form = formBody(ex);
    const auth = form ? this.clientAuth(ex, form, { basic: true, post: false }) : undefined;
    if (!form || !auth?.ok)
      return sendJson(ex.res, 401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    const grant = this.grants.findGrant(form.get('token') ?? '');
    if (grant) this.grants.revoke(grant);
    sendJson(ex.res, 200, { revoked: true });
  }

  private me(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') {
      return sendJson(ex.res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    }
    const scopes = rec.grant.scope.split(' ');
    if (!scopes.includes('users.read') || !scopes.includes('tweet.read')) {
      return sendJson(ex.res, 403, { title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' });
    }
    const fields = (ex.query.get('user.fields') ?? '').split(',');
    const { id, name, username, profile_image_url, confirmed_email } = this.user;
    const data: Record<string, string> = { id, name, username };
    if (fields.includes('profile_image_url')) data.profile_image_url = profile_image_url;
    // The confirmed address needs both the field and the users.email scope.
    if (fields.includes('confirmed_email') && scopes.includes('users.email') && confirmed_email) data.confirmed_email = confirmed_email;
    sendJson(ex.res, 200, { data });
  }
}

export async function startFakeX(opts: FakeXOptions = {}): Promise<FakeX> {
  return new FakeX(opts).listen();
}
