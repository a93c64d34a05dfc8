/**
 * Fake Dropbox OAuth 2 + API v2, following https://developers.dropbox.com/oauth-guide,
 * https://dropbox.tech/developers/using-oauth-2-0-with-offline-access (refresh tokens only with
 * token_access_type=offline, never rotated) and the HTTP API documentation: RPC endpoints are POSTs,
 * a call without arguments takes no body, and a wrong body or Content-Type is a plain-text 400.
 */
import { formBody, mediaType, sendJson, sendText, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface FakeDropboxOptions extends CommonOptions {
  /** Fields merged over the default account. */
  account?: Record<string, unknown>;
}

const ACCOUNT_ID = 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc';

export class FakeDropbox extends OAuthFake {
  protected override readonly tokenPath = '/oauth2/token';
  private readonly account: Record<string, unknown>;

  constructor(opts: FakeDropboxOptions = {}) {
    super({ clientId: 'dropbox-app-key', clientSecret: 'dropbox-app-secret' }, opts);
    this.revokeRoute = { path: '/2/auth/token/revoke', method: 'POST' };
    this.account = {
      account_id: ACCOUNT_ID,
      name: {
        given_name: 'Franz',
        surname: 'Ferdinand',
        familiar_name: 'Franz',
        display_name: 'Franz Ferdinand (Personal)',
        abbreviated_name: 'FF',
      },
      email: 'franz@dropbox.com',
      email_verified: true,
      disabled: false,
      locale: 'en',
      referral_link: 'https://db.tt/ZITNuhtI',
      is_paired: false,
      account_type: { '.tag': 'basic' },
      root_info: { '.tag': 'user', root_namespace_id: '3235641', home_namespace_id: '3235641' },
      profile_photo_url: 'https://dl-web.dropbox.com/account_photo/get/69330102&size=128x128',
      country: 'US',
      ...opts.account,
    };
  }

  override env(): Record<string, string> {
    return {
      DROPBOX_CLIENT_ID: this.clientId,
      DROPBOX_CLIENT_SECRET: this.clientSecret,
      DROPBOX_AUTHORIZATION_URL: `${this.url}/oauth2/authorize`,
      DROPBOX_TOKEN_URL: `${this.url}/oauth2/token`,
      DROPBOX_API_URL: this.url,
      DROPBOX_REVOCATION_URL: `${this.url}/2/auth/token/revoke`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    const type = q.get('token_access_type');
    if (type !== null && type !== 'online' && type !== 'offline') return 'invalid_request: token_access_type must be online or offline';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /oauth2/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /oauth2/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (ex.path === '/2/users/get_current_account')
      return (await this.playFailure('profile', ex)) ? undefined : this.rpc(ex, 'users/get_current_account');
    if (ex.path === '/2/auth/token/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.rpc(ex, 'auth/token/revoke');
    sendText(ex.res, 404, 'Unknown API function');
  }

  private token(ex: Exchange): void {
    const fail = (status: number, error: string, description: string) =>
      sendJson(ex.res, status, { error, error_description: description }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) return fail(400, auth.error, auth.description);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri') return fail(400, 'invalid_grant', 'redirect_uri mismatch');
      if (grant === 'pkce') return fail(400, 'invalid_grant', 'invalid code verifier');
      if (typeof grant === 'string') return fail(400, 'invalid_grant', "code doesn't exist or has expired");
      const offline = grant.params.get('token_access_type') === 'offline';
      return this.sendTokens(ex, grant, offline);
    }
    if (grantType === 'refresh_token') {
      const grant = this.grants.useRefresh(form.get('refresh_token'), this.clientId);
      if (!grant) return fail(400, 'invalid_grant', 'refresh token is invalid or revoked');
      return this.sendTokens(ex, grant, false); // long-lived: no new refresh token
    }
    fail(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  private sendTokens(ex: Exchange, grant: Grant, withRefresh: boolean): void {
    const body: Record<string, string | number> = {
      access_token: this.grants.issueAccess(grant, 14400, 'sl.'),
      token_type: 'bearer',
      expires_in: 14400,
      scope: grant.scope,
    };
    if (withRefresh) {
      body.refresh_token = this.grants.issueRefresh(grant);
      body.account_id = ACCOUNT_ID;
      body.uid = '12345';
    }
    sendJson(ex.res, 200, body, NO_STORE);
  }

  /** An RPC endpoint without arguments: POST, and either no body or the JSON body `null`. */
  private rpc(ex: Exchange, fn: string): void {
    const bad = (why: string) => sendText(ex.res, 400, `Error in call to API function "${fn}": ${why}`);
    if (ex.method !== 'POST') return bad(`Unsupported method ${ex.method}`);
    const type = ex.headers['content-type'];
    if (type !== undefined && mediaType(type) !== 'application/json') return bad(`Bad HTTP "Content-Type" header: "${type}".`);
    if (type !== undefined && ex.body.trim() !== 'null') return bad('request body: could not decode input as JSON');
    if (type === undefined && ex.body !== '') return bad('Bad HTTP "Content-Type" header: missing.');
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (rec === 'expired')
      return sendJson(ex.res, 401, { error_summary: 'expired_access_token/..', error: { '.tag': 'expired_access_token' } });
    if (rec === 'invalid')
      return sendJson(ex.res, 401, { error_summary: 'invalid_access_token/...', error: { '.tag': 'invalid_access_token' } });
    if (fn === 'auth/token/revoke') {
      this.grants.revoke(rec.grant); // ends the access token and its refresh token
      return sendJson(ex.res, 200, null);
    }
    sendJson(ex.res, 200, this.account);
  }
}

export async function startFakeDropbox(opts: FakeDropboxOptions = {}): Promise<FakeDropbox> {
  return new FakeDropbox(opts).listen();
}
