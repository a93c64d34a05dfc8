/**
 * Fake LinkedIn (Sign In with LinkedIn using OpenID Connect), following
 * https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2 and
 * https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow: the issuer under
 * `/oauth`, body-only client credentials (a Basic header is not read), no PKCE for web apps, no refresh token
 * for sign-in apps, `user_cancelled_*` refusals, and a userinfo `locale` that is an object.
 */
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';
import { IdTokenSigner } from './id-tokens.js';

export interface FakeLinkedinOptions extends CommonOptions {
  /** Claims merged over the default member. */
  user?: Record<string, unknown>;
}

export class FakeLinkedin extends OAuthFake {
  protected override readonly tokenPath = '/oauth/v2/accessToken';
  private readonly keys = new IdTokenSigner();
  private readonly user: Record<string, unknown>;

  constructor(opts: FakeLinkedinOptions = {}) {
    super({ clientId: '86abcdefgh1234', clientSecret: 'WPL_AP1.linkedin-secret' }, opts);
    this.pkce = 'ignored';
    this.user = {
      sub: '782bbtaQ',
      name: 'John Doe',
      given_name: 'John',
      family_name: 'Doe',
      picture: 'https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/',
      locale: { country: 'US', language: 'en' },
      email: 'doe@email.com',
      email_verified: true,
      ...opts.user,
    };
  }

  get issuerUrl(): string {
    return `${this.url}/oauth`;
  }

  override env(): Record<string, string> {
    return {
      LINKEDIN_CLIENT_ID: this.clientId,
      LINKEDIN_CLIENT_SECRET: this.clientSecret,
      LINKEDIN_ISSUER: this.issuerUrl,
      LINKEDIN_API_URL: this.url,
    };
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuerUrl,
      authorization_endpoint: `${this.url}/oauth/v2/authorization`,
      token_endpoint: `${this.url}/oauth/v2/accessToken`,
      userinfo_endpoint: `${this.url}/v2/userinfo`,
      jwks_uri: `${this.url}/oauth/openid/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email'],
      claims_supported: [
        'iss',
        'aud',
        'iat',
        'exp',
        'sub',
        'name',
        'given_name',
        'family_name',
        'picture',
        'email',
        'email_verified',
        'locale',
      ],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    };
  }

  protected override denial(): Record<string, string> {
    return { error: 'user_cancelled_login', error_description: 'The user cancelled LinkedIn login' };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    const scopes = (q.get('scope') ?? '').split(' ');
    // The pre-2023 profile scopes are gone for new apps.
    if (!scopes.every((s) => ['openid', 'profile', 'email'].includes(s)))
      return 'unauthorized_scope_error: Scope is not authorized for your application';
    if (q.get('redirect_uri')!.includes('#')) return 'invalid_request: redirect_uri may not contain a fragment';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /oauth/.well-known/openid-configuration')
      return (await this.playFailure('discovery', ex)) ? undefined : sendJson(ex.res, 200, this.discovery());
    if (key === 'GET /oauth/openid/jwks') return (await this.playFailure('jwks', ex)) ? undefined : sendJson(ex.res, 200, this.keys.jwks());
    if (key === 'GET /oauth/v2/authorization') return this.handleAuthorize(ex);
    if (key === 'POST /oauth/v2/accessToken') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'GET /v2/userinfo') return (await this.playFailure('userinfo', ex)) ? undefined : this.userinfo(ex);
    sendJson(ex.res, 404, { status: 404, serviceErrorCode: 0, code: 'NOT_FOUND', message: 'Resource not found' });
  }

  private async token(ex: Exchange): Promise<void> {
    const fail = (status: number, error: string, description: string) =>
      sendJson(ex.res, status, { error, error_description: description }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    // LinkedIn does not read an Authorization header here: without body credentials, client_id is missing.
    if (!form.has('client_id')) return fail(400, 'invalid_request', 'A required parameter "client_id" is missing');
    if (!form.has('client_secret')) return fail(400, 'invalid_request', 'A required parameter "client_secret" is missing');
    const auth = this.clientAuth({ ...ex, headers: { ...ex.headers, authorization: undefined } }, form, { basic: false, post: true });
    if (!auth.ok) return fail(401, 'invalid_client', 'Client authentication failed');
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (typeof grant === 'string') {
        return fail(
          400,
          'invalid_request',
          'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.',
        );
      }
      return this.sendTokens(ex, grant);
    }
    // Refresh tokens are for approved partners only; a sign-in app has none to send.
    fail(400, 'unsupported_grant_type', `grant_type ${grantType ?? ''} is not supported for this application`);
  }

  private async sendTokens(ex: Exchange, grant: Grant): Promise<void> {
    const accessToken = this.grants.issueAccess(grant, 5183999, 'AQV');
    const { locale: _objectLocale, ...claims } = this.user;
    sendJson(
      ex.res,
      200,
      {
        access_token: accessToken,
        expires_in: 5183999,
        // LinkedIn reports granted scopes comma-separated.
        scope: grant.scope.split(' ').sort().join(','),
        token_type: 'Bearer',
        id_token: await this.keys.idToken(this.issuerUrl, this.clientId, {
          ...claims,
          locale: 'en_US',
          ...(grant.nonce ? { nonce: grant.nonce } : {}),
        }),
      },
      NO_STORE,
    );
  }

  private userinfo(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string')
      return sendJson(ex.res, 401, { status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
    const scopes = rec.grant.scope.split(' ');
    const { sub, email, email_verified, ...profile } = this.user;
    sendJson(ex.res, 200, {
      sub,
      ...(scopes.includes('profile') ? profile : {}),
      ...(scopes.includes('email') ? { email, email_verified } : {}),
    });
  }
}

export async function startFakeLinkedin(opts: FakeLinkedinOptions = {}): Promise<FakeLinkedin> {
  return new FakeLinkedin(opts).listen();
}
