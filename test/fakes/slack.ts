/**
 * Fake Slack (Sign in with Slack, OpenID Connect), following
 * https://api.slack.com/authentication/sign-in-with-slack,
 * https://docs.slack.dev/reference/methods/openid.connect.token, .../openid.connect.userInfo,
 * .../auth.revoke and https://api.slack.com/authentication/rotation: every error is HTTP 200 with
 * `ok:false`; the ID token's `nonce` is "" when none was sent (next-auth#9002); claims are namespaced;
 * with token rotation on, refresh tokens are single use and access tokens last 12 h.
 */
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { IdTokenSigner, atHash, nowSeconds } from './id-tokens.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface FakeSlackOptions extends CommonOptions {
  /** Token rotation turned on for the app (default true): expiring tokens and single-use refresh tokens. */
  rotation?: boolean;
  user?: Partial<SlackUser>;
}

export interface SlackUser {
  userId: string;
  teamId: string;
  name: string;
  email: string;
  emailVerified: boolean;
  picture: string;
}

export class FakeSlack extends OAuthFake {
  protected override readonly tokenPath = '/api/openid.connect.token';
  // openid.connect.token documents no code_verifier (only oauth.v2.access does).
  protected override pkce = 'ignored' as const;
  readonly signer = new IdTokenSigner();
  private readonly user: SlackUser;

  constructor(private readonly opts: FakeSlackOptions = {}) {
    super({ clientId: '3336676.569200954261', clientSecret: 'slack-secret' }, opts);
    this.revokeRoute = { path: '/api/auth.revoke', method: 'GET' };
    this.user = {
      userId: 'U0R7JM',
      teamId: 'T0R7GR',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      emailVerified: true,
      picture: 'https://secure.gravatar.com/avatar/ada-512.png',
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      SLACK_CLIENT_ID: this.clientId,
      SLACK_CLIENT_SECRET: this.clientSecret,
      SLACK_ISSUER: this.url,
      SLACK_API_URL: `${this.url}/api`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (!(q.get('scope') ?? '').split(' ').includes('openid')) return 'invalid_scope: openid is required';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /.well-known/openid-configuration') {
      if (await this.playFailure('discovery', ex)) return;
      return sendJson(ex.res, 200, this.discovery());
    }
    if (key === 'GET /openid/connect/keys')
      return (await this.playFailure('jwks', ex)) ? undefined : sendJson(ex.res, 200, this.signer.jwks());
    if (key === 'GET /openid/connect/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /api/openid.connect.token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (ex.path === '/api/openid.connect.userInfo') return (await this.playFailure('userinfo', ex)) ? undefined : this.userinfo(ex);
    if (ex.path === '/api/auth.revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    // Unknown methods are HTTP 200 too.
    sendJson(ex.res, 200, { ok: false, error: 'unknown_method' });
  }

  private discovery(): Record<string, unknown> {
    const u = this.url;
    return {
      issuer: u,
      authorization_endpoint: `${u}/openid/connect/authorize`,
      token_endpoint: `${u}/api/openid.connect.token`,
      userinfo_endpoint: `${u}/api/openid.connect.userInfo`,
      jwks_uri: `${u}/openid/connect/keys`,
      scopes_supported: ['openid', 'profile', 'email'],
      response_types_supported: ['code'],
      response_modes_supported: ['form_post'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'auth_time', 'iss'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    };
  }

  private async token(ex: Exchange): Promise<void> {
    // Slack: HTTP 200 whatever happened, with ok:false and an error name.
    const fail = (error: string) => sendJson(ex.res, 200, { ok: false, error }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail('invalid_form_data');
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) return fail(auth.description === 'Invalid client secret' ? 'bad_client_secret' : 'invalid_client_id');

    const grantType = form.get('grant_type') ?? 'authorization_code';
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri') return fail('bad_redirect_uri');
      if (typeof grant === 'string') return fail('invalid_code');
      return sendJson(ex.res, 200, await this.tokens(grant, true), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.opts.rotation === false ? undefined : this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail('invalid_refresh_token');
      this.grants.retireRefresh(old!); // each use revokes it and issues a new one
      return sendJson(ex.res, 200, await this.tokens(grant, false), NO_STORE);
    }
    return fail('invalid_grant_type');
  }

  private async tokens(grant: Grant, withIdToken: boolean): Promise<Record<string, unknown>> {
    const rotation = this.opts.rotation !== false;
    const accessToken = this.grants.issueAccess(grant, rotation ? 43200 : null, 'xoxp-');
    const body: Record<string, unknown> = { ok: true, access_token: accessToken, token_type: 'Bearer' };
    if (rotation) Object.assign(body, { refresh_token: this.grants.issueRefresh(grant, 'xoxe-1-'), expires_in: 43200 });
    if (withIdToken) body.id_token = await this.idToken(grant, accessToken);
    return body;
  }

  private idToken(grant: Grant, accessToken: string): Promise<string> {
    const now = nowSeconds();
    return this.signer.sign({
      iss: this.url,
      sub: this.user.userId,
      aud: this.clientId,
      exp: now + 3600,
      iat: now,
      auth_time: now,
      // Always present: "" when the authorization request carried none.
      nonce: grant.nonce ?? '',
      at_hash: atHash(accessToken),
      ...this.claims(grant),
    });
  }

  /** The namespaced claims, and those the granted scopes release. */
  private claims(grant: Grant): Record<string, unknown> {
    const scopes = grant.scope.split(' ');
    const u = this.user;
    return {
      'https://slack.com/user_id': u.userId,
      'https://slack.com/team_id': u.teamId,
      'https://slack.com/team_name': 'Analytical Engines',
      'https://slack.com/team_domain': 'analytical-engines',
      ...(scopes.includes('email') ? { email: u.email, email_verified: u.emailVerified, date_email_verified: 1600000000 } : {}),
      ...(scopes.includes('profile')
        ? {
            name: u.name,
            picture: u.picture,
            given_name: 'Ada',
            family_name: 'Lovelace',
            locale: 'en-US',
            'https://slack.com/user_image_512': u.picture,
          }
        : {}),
    };
  }

  private userinfo(ex: Exchange): void {
    const token = bearerToken(ex.headers) ?? (formBody(ex) ?? ex.query).get('token');
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (rec === 'expired') return sendJson(ex.res, 200, { ok: false, error: 'token_expired' });
    if (rec === 'invalid') return sendJson(ex.res, 200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' });
    sendJson(ex.res, 200, { ok: true, sub: this.user.userId, ...this.claims(rec.grant) });
  }

  private revoke(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const grant = token ? this.grants.findGrant(token) : undefined;
    if (!grant) return sendJson(ex.res, 200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' });
    this.grants.revoke(grant);
    sendJson(ex.res, 200, { ok: true, revoked: true });
  }
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  return new FakeSlack(opts).listen();
}
