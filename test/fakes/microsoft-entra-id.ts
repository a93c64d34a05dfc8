/**
 * Fake Microsoft Entra ID (v2.0 endpoints), following
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc,
 * .../v2-oauth2-auth-code-flow, .../refresh-tokens and .../reference-error-codes:
 * `common` publishes the issuer template `<url>/{tenantid}/v2.0` and each ID token's `iss` follows
 * the user's tenant (`tid`); a refresh token only with `offline_access`, a new one on each refresh
 * with the old one still valid; AADSTS error bodies; a client secret sent with an `Origin` header is
 * refused (cross-origin redemption is for SPA redirects only).
 */
import { randomUUID } from 'node:crypto';
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { IdTokenSigner, atHash, nowSeconds } from './id-tokens.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

/** The tenant of personal Microsoft accounts. */
export const CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

export interface EntraUser {
  oid: string;
  tid: string;
  name: string;
  preferred_username: string;
  email: string;
  /** Optional claim: the e-mail's domain owner verified it. */
  xms_edov?: boolean;
}

export interface FakeEntraOptions extends CommonOptions {
  user?: Partial<EntraUser>;
  /** The tenant segment of the endpoints the gateway is pointed at: common (default), organizations, consumers. */
  tenant?: 'common' | 'organizations' | 'consumers';
}

export class FakeEntra extends OAuthFake {
  protected override readonly tokenPath: string;
  readonly tenant: string;
  readonly signer = new IdTokenSigner();
  readonly user: EntraUser;

  constructor(opts: FakeEntraOptions = {}) {
    super({ clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', clientSecret: 'entra~secret.value' }, opts);
    this.tenant = opts.tenant ?? 'common';
    this.tokenPath = `/${this.tenant}/oauth2/v2.0/token`;
    this.user = {
      oid: '00000000-0000-0000-66f3-3332eca7ea81',
      tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      name: 'Ada Lovelace',
      preferred_username: 'ada@contoso.onmicrosoft.com',
      email: 'ada@contoso.com',
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      MICROSOFT_ENTRA_ID_CLIENT_ID: this.clientId,
      MICROSOFT_ENTRA_ID_CLIENT_SECRET: this.clientSecret,
      MICROSOFT_ENTRA_ID_ISSUER: `${this.url}/${this.tenant}/v2.0`,
      MICROSOFT_ENTRA_ID_API_URL: `${this.url}/v1.0`,
    };
  }

  /** What a token's `iss` is for a tenant. */
  issuerFor(tenant: string): string {
    return `${this.url}/${tenant}/v2.0`;
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (!(q.get('scope') ?? '').split(' ').includes('openid')) return 'AADSTS900144: openid scope is required for an ID token';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path.replace(`/${this.tenant}/`, '/{tenant}/')}`;
    if (key === 'GET /{tenant}/v2.0/.well-known/openid-configuration') {
      if (await this.playFailure('discovery', ex)) return;
      return sendJson(ex.res, 200, this.discovery());
    }
    if (key === 'GET /{tenant}/discovery/v2.0/keys') {
      return (await this.playFailure('jwks', ex)) ? undefined : sendJson(ex.res, 200, this.signer.jwks());
    }
    if (key === 'GET /{tenant}/oauth2/v2.0/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /{tenant}/oauth2/v2.0/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'GET /oidc/userinfo') return (await this.playFailure('userinfo', ex)) ? undefined : this.userinfo(ex);
    sendJson(ex.res, 404, { error: { code: 'NotFound', message: 'Resource not found' } });
  }

  private discovery(): Record<string, unknown> {
    const u = this.url;
    return {
      token_endpoint: `${u}/${this.tenant}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${u}/${this.tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      // The literal template: a relying party must fill in the tenant of each token.
      issuer: `${u}/{tenantid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${u}/oidc/userinfo`,
      authorization_endpoint: `${u}/${this.tenant}/oauth2/v2.0/authorize`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${u}/${this.tenant}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      tenant_region_scope: null,
      cloud_instance_name: 'microsoftonline.com',
    };
  }

  /** AADSTS error body: https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes */
  private fail(ex: Exchange, status: number, error: string, aadsts: number, text: string): void {
    sendJson(
      ex.res,
      status,
      {
        error,
        error_description: `AADSTS${aadsts}: ${text} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
        error_codes: [aadsts],
        timestamp: new Date().toISOString(),
        trace_id: randomUUID(),
        correlation_id: randomUUID(),
        error_uri: `${this.url}/error?code=${aadsts}`,
      },
      NO_STORE,
    );
  }

  private async token(ex: Exchange): Promise<void> {
    const form = formBody(ex);
    if (!form) return this.fail(ex, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (ex.headers.origin !== undefined) {
      return this.fail(
        ex,
        400,
        'invalid_request',
        9002326,
        "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
      );
    }
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) return this.fail(ex, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri')
        return this.fail(ex, 400, 'invalid_grant', 50148, 'The redirect_uri does not match the one of the authorization request.');
      if (grant === 'pkce') return this.fail(ex, 400, 'invalid_grant', 50148, 'The code_verifier does not match the code_challenge.');
      if (grant === 'reused') return this.fail(ex, 400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed.');
      if (typeof grant === 'string')
        return this.fail(ex, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired or is invalid.');
      return sendJson(ex.res, 200, await this.tokens(grant, true), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const grant = this.grants.useRefresh(form.get('refresh_token'), this.clientId);
      if (!grant) return this.fail(ex, 400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity.');
      // A new refresh token each time; the old one is not revoked (refresh-tokens#token-lifetime).
      return sendJson(ex.res, 200, await this.tokens(grant, false), NO_STORE);
    }
    return this.fail(ex, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }

  private async tokens(grant: Grant, withIdToken: boolean): Promise<Record<string, unknown>> {
    const accessToken = this.grants.issueAccess(grant, 3599, 'eyJ0eXAi.');
    const scopes = grant.scope.split(' ');
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scopes.filter((s) => s !== 'offline_access' && s !== 'openid').join(' '),
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: accessToken,
    };
    if (scopes.includes('offline_access')) body.refresh_token = this.grants.issueRefresh(grant, '0.AXoA');
    const now = nowSeconds();
    if (withIdToken) {
      body.id_token = await this.signer.sign({
        ver: '2.0',
        iss: this.issuerFor(this.user.tid),
        sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
        aud: this.clientId,
        exp: now + 3600,
        iat: now,
        nbf: now,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        at_hash: atHash(accessToken),
        tid: this.user.tid,
        oid: this.user.oid,
        ...this.claims(grant),
      });
    }
    return body;
  }

  private claims(grant: Grant): Record<string, unknown> {
    const scopes = grant.scope.split(' ');
    const { name, preferred_username, email, xms_edov } = this.user;
    return {
      ...(scopes.includes('profile') ? { name, preferred_username } : {}),
      ...(scopes.includes('email') ? { email, ...(xms_edov !== undefined ? { xms_edov } : {}) } : {}),
    };
  }

  /** Graph's OIDC userinfo: https://learn.microsoft.com/en-us/entra/identity-platform/userinfo */
  private userinfo(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') {
      return sendJson(
        ex.res,
        401,
        {
          error: {
            code: 'InvalidAuthenticationToken',
            message: rec === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure.',
          },
        },
        { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' },
      );
    }
    const { name, email } = this.user;
    sendJson(ex.res, 200, {
      sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      name,
      family_name: 'Lovelace',
      given_name: 'Ada',
      picture: `${this.url}/v1.0/me/photo/$value`,
      email,
    });
  }
}

export async function startFakeEntra(opts: FakeEntraOptions = {}): Promise<FakeEntra> {
  return new FakeEntra(opts).listen();
}
