/**
 * Fake GitLab (a self-managed instance under a relative root, `/gitlab`) as an OpenID Connect provider,
 * following https://docs.gitlab.com/api/oauth2/ and https://docs.gitlab.com/integration/openid_connect_provider/:
 * Doorkeeper's token endpoint (form or JSON, Basic or body credentials), single-use refresh tokens that must
 * repeat the redirect_uri, RFC 7009 revocation at /oauth/revoke, and an issuer equal to the instance URL.
 */
import { formBody, parseJson, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';
import { IdTokenSigner } from './id-tokens.js';

export interface FakeGitlabOptions extends CommonOptions {
  /** Fields merged over the default user (id is an integer, as in GitLab's REST API). */
  user?: Partial<GitlabUser>;
  /** The instance's relative root (default `/gitlab`; `''` for an instance at the host's root). */
  root?: string;
}

export interface GitlabUser {
  id: number;
  username: string;
  name: string;
  email: string;
  email_verified: boolean;
  avatar_url: string;
  web_url: string;
}

const INVALID_GRANT =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
const INVALID_CLIENT =
  'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.';

export class FakeGitlab extends OAuthFake {
  protected override tokenPath: string;
  private readonly root: string;
  private readonly keys = new IdTokenSigner();
  private readonly user: GitlabUser;

  constructor(opts: FakeGitlabOptions = {}) {
    super({ clientId: 'gitlab-application-id', clientSecret: 'gloas-gitlab-secret' }, opts);
    this.root = opts.root ?? '/gitlab';
    this.tokenPath = `${this.root}/oauth/token`;
    this.revokeRoute = { path: `${this.root}/oauth/revoke`, method: 'POST' };
    this.user = {
      id: 4711,
      username: 'jdoe',
      name: 'Jane Doe',
      email: 'jane@example.com',
      email_verified: true,
      avatar_url: 'https://gitlab.example.com/uploads/-/system/user/avatar/4711/avatar.png',
      web_url: 'https://gitlab.example.com/jdoe',
      ...opts.user,
    };
  }

  /** The instance URL, which GitLab uses as its issuer. */
  get base(): string {
    return `${this.url}${this.root}`;
  }

  override env(): Record<string, string> {
    return {
      GITLAB_CLIENT_ID: this.clientId,
      GITLAB_CLIENT_SECRET: this.clientSecret,
      GITLAB_ISSUER: this.base,
      GITLAB_API_URL: `${this.base}/api/v4`,
    };
  }

  discovery(): Record<string, unknown> {
    const b = this.base;
    return {
      issuer: b,
      authorization_endpoint: `${b}/oauth/authorize`,
      token_endpoint: `${b}/oauth/token`,
      revocation_endpoint: `${b}/oauth/revoke`,
      introspection_endpoint: `${b}/oauth/introspect`,
      userinfo_endpoint: `${b}/oauth/userinfo`,
      jwks_uri: `${b}/oauth/discovery/keys`,
      scopes_supported: ['api', 'read_api', 'read_user', 'openid', 'profile', 'email'],
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'password', 'client_credentials', 'device_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claim_types_supported: ['normal'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'sub_legacy',
        'name',
        'nickname',
        'preferred_username',
        'email',
        'email_verified',
        'website',
        'profile',
        'picture',
        'groups',
      ],
      code_challenge_methods_supported: ['plain', 'S256'],
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    const known = this.discovery().scopes_supported as string[];
    if (!(q.get('scope') ?? '').split(' ').every((s) => known.includes(s)))
      return 'invalid_scope: The requested scope is invalid, unknown, or malformed.';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    if (!ex.path.startsWith(`${this.root}/`)) return sendJson(ex.res, 404, { message: '404 Not Found' });
    const key = `${ex.method} ${ex.path.slice(this.root.length)}`;
    if (key === 'GET /.well-known/openid-configuration')
      return (await this.playFailure('discovery', ex)) ? undefined : sendJson(ex.res, 200, this.discovery());
    if (key === 'GET /oauth/discovery/keys')
      return (await this.playFailure('jwks', ex)) ? undefined : sendJson(ex.res, 200, this.keys.jwks());
    if (key === 'GET /oauth/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /oauth/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /oauth/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === 'GET /oauth/userinfo' || key === 'POST /oauth/userinfo')
      return (await this.playFailure('userinfo', ex)) ? undefined : this.userinfo(ex);
    sendJson(ex.res, 404, { error: '404 Not Found' });
  }

  /** Doorkeeper reads form or JSON parameters. */
  private params(ex: Exchange): URLSearchParams {
    const json = parseJson(ex.body);
    return formBody(ex) ?? new URLSearchParams(json && typeof json === 'object' ? (json as Record<string, string>) : {});
  }

  private async token(ex: Exchange): Promise<void> {
    const fail = (status: number, error: string, description: string) =>
      sendJson(ex.res, status, { error, error_description: description }, NO_STORE);
    const form = this.params(ex);
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) return fail(401, 'invalid_client', INVALID_CLIENT);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (typeof grant === 'string') return fail(400, 'invalid_grant', INVALID_GRANT);
      return this.sendTokens(ex, grant);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      // Doorkeeper checks the redirect_uri on refresh as on the code exchange.
      if (!grant || form.get('redirect_uri') !== grant.redirectUri) return fail(400, 'invalid_grant', INVALID_GRANT);
      // "invalidates the existing access_token and refresh_token"
      this.grants.retireRefresh(old!);
      this.grants.killAccessTokens(grant);
      return this.sendTokens(ex, grant);
    }
    fail(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
  }

  private async sendTokens(ex: Exchange, grant: Grant): Promise<void> {
    const scopes = grant.scope.split(' ');
    const body: Record<string, string | number> = {
      access_token: this.grants.issueAccess(grant, 7200),
      token_type: 'bearer',
      expires_in: 7200,
      refresh_token: this.grants.issueRefresh(grant),
      scope: grant.scope,
      created_at: Math.floor(Date.now() / 1000),
    };
    if (scopes.includes('openid')) {
      body.id_token = await this.keys.idToken(this.base, this.clientId, {
        sub: String(this.user.id),
        sub_legacy: '2ab1f5ab7e47c2a8b4f1a2cd9a2a1a3e',
        auth_time: Math.floor(Date.now() / 1000),
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        ...(scopes.includes('email') ? { email: this.user.email, email_verified: this.user.email_verified } : {}),
      });
    }
    sendJson(ex.res, 200, body, NO_STORE);
  }

  private revoke(ex: Exchange): void {
    const form = this.params(ex);
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) return sendJson(ex.res, 401, { error: 'invalid_client', error_description: INVALID_CLIENT });
    const grant = this.grants.findGrant(form.get('token') ?? '');
    if (grant) this.grants.revoke(grant);
    sendJson(ex.res, 200, {}); // RFC 7009 §2.2: also for an unknown token
  }

  private userinfo(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') {
      return sendJson(
        ex.res,
        401,
        { error: 'invalid_token', error_description: 'The access token is invalid' },
        {
          'www-authenticate': 'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"',
        },
      );
    }
    const scopes = rec.grant.scope.split(' ');
    const u = this.user;
    sendJson(ex.res, 200, {
      sub: String(u.id),
      sub_legacy: '2ab1f5ab7e47c2a8b4f1a2cd9a2a1a3e',
      ...(scopes.includes('profile')
        ? {
            name: u.name,
            nickname: u.username,
            preferred_username: u.username,
            website: '',
            profile: u.web_url,
            picture: u.avatar_url,
            groups: ['gitlab-org'],
          }
        : {}),
      ...(scopes.includes('email') ? { email: u.email, email_verified: u.email_verified } : {}),
    });
  }
}

export async function startFakeGitlab(opts: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  return new FakeGitlab(opts).listen();
}
