/**
 * Fake Google OpenID Connect provider, following https://developers.google.com/identity/openid-connect/openid-connect,
 * https://developers.google.com/identity/protocols/oauth2/web-server (access_type, prompt, revocation),
 * OpenID Connect Core 1.0 §3.1.3.6–7 (ID token claims, at_hash) and §12.2 (ID token on refresh).
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { formBody, sendJson, type Exchange } from './fake-server.js';
import { randomToken, type Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface GoogleUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  given_name: string;
  family_name: string;
  picture: string;
}

export interface IdTokenClaims {
  iss: string;
  aud: string | string[];
  azp?: string;
  sub: string;
  iat: number;
  exp: number;
  nonce?: string;
  at_hash?: string;
  [claim: string]: unknown;
}

export type IdTokenOverride = Partial<IdTokenClaims> | ((claims: IdTokenClaims) => IdTokenClaims);

export interface FakeGoogleOptions extends CommonOptions {
  user?: Partial<GoogleUser>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const newKey = (kid = randomToken('', 10)): SigningKey => ({ kid, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) });

// Google reports granted scopes in their long form.
const LONG_SCOPES: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

export class FakeGoogle extends OAuthFake {
  protected override readonly tokenPath = '/token';
  private readonly user: GoogleUser;
  private key = newKey();
  private nextOverride: IdTokenOverride | undefined;
  private foreignNext = false;

  constructor(opts: FakeGoogleOptions = {}) {
    super({ clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret' }, opts);
    this.codePrefix = '4/0A'; // real codes contain "/", which must survive URL encoding
    this.revokeRoute = { path: '/revoke', method: 'POST' };
    this.user = {
      sub: '110169484474386276334',
      email: 'ada.lovelace@gmail.com',
      email_verified: true,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      picture: 'https://lh3.googleusercontent.com/a/ACg8ocJ0ada=s96-c',
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      GOOGLE_CLIENT_ID: this.clientId,
      GOOGLE_CLIENT_SECRET: this.clientSecret,
      GOOGLE_ISSUER: this.url,
      // www.googleapis.com and, under a path of its own, people.googleapis.com.
      GOOGLE_API_URL: this.url,
      GOOGLE_PEOPLE_API_URL: `${this.url}${PEOPLE_HOST}`,
    };
  }

  /** Replaces the signing key; the JWKS then serves only the new key (a relying party must refetch on an unknown kid). */
  rotateSigningKey(): void {
    this.key = newKey();
  }

  /** One-shot change to the next ID token's claims; a property set to undefined removes that claim. */
  idTokenOverrides(override: IdTokenOverride): void {
    this.nextOverride = override;
  }

  /** The next ID token is signed by a key that is not in the JWKS, under the current kid. */
  signNextIdTokenWithForeignKey(): void {
    this.foreignNext = true;
  }

  discovery(): Record<string, unknown> {
    const u = this.url;
    return {
      issuer: u,
      authorization_endpoint: `${u}/o/oauth2/v2/auth`,
      token_endpoint: `${u}/token`,
      userinfo_endpoint: `${u}/v1/userinfo`,
      revocation_endpoint: `${u}/revoke`,
      jwks_uri: `${u}/oauth2/v3/certs`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  protected override issuer(): string {
    return this.url;
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (!(q.get('scope') ?? '').split(' ').includes('openid')) return 'invalid_scope: an OpenID request needs the openid scope';
    if (!q.get('nonce')) return 'invalid_request: nonce is required';
    if (!['online', 'offline', null].includes(q.get('access_type'))) return 'invalid_request: invalid access_type';
    return undefined;
  }

  protected override extraRedirectParams(grant: Grant): Record<string, string> {
    const consent = (grant.params.get('prompt') ?? '').split(' ').includes('consent');
    return { scope: this.longScope(grant), authuser: '0', prompt: consent ? 'consent' : 'none' };
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /.well-known/openid-configuration') {
      if (await this.playFailure('discovery', ex)) return;
      return sendJson(ex.res, 200, this.discovery(), { 'cache-control': 'public, max-age=3600' });
    }
    if (key === 'GET /oauth2/v3/certs') {
      if (await this.playFailure('jwks', ex)) return;
      const jwk = { ...this.key.publicKey.export({ format: 'jwk' }), kid: this.key.kid, alg: 'RS256', use: 'sig' };
      return sendJson(ex.res, 200, { keys: [jwk] }, { 'cache-control': 'public, max-age=21600, must-revalidate, no-transform' });
    }
    if (key === 'GET /o/oauth2/v2/auth') return this.handleAuthorize(ex);
    if (key === 'POST /token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'GET /v1/userinfo' || key === 'POST /v1/userinfo') {
      return (await this.playFailure('userinfo', ex)) ? undefined : this.userinfo(ex);
    }
    // www.googleapis.com's userinfo document: the same claims as the OIDC userinfo endpoint.
    if (key === 'GET /oauth2/v3/userinfo') return this.userinfo(ex);
    if (key === `GET ${PEOPLE_HOST}/v1/people/me`) return this.person(ex);
    if (key === 'POST /revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    sendJson(ex.res, 404, { error: 'not_found' });
  }

  private async token(ex: Exchange): Promise<void> {
    const fail = (status: number, error: string, description: string) =>
      sendJson(ex.res, status, { error, error_description: description }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail(400, 'invalid_request', 'Invalid Content-Type');
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok)
      return auth.error === 'invalid_client' ? fail(401, 'invalid_client', 'Unauthorized') : fail(400, auth.error, auth.description);

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri') return fail(400, 'redirect_uri_mismatch', 'Bad Request');
      if (grant === 'pkce')
        return fail(400, 'invalid_grant', form.get('code_verifier') ? 'Invalid code verifier.' : 'Missing code verifier.');
      if (typeof grant === 'string') return fail(400, 'invalid_grant', 'Bad Request');
      // The refresh token is only handed out for offline access on the consent screen.
      return this.sendTokens(ex, grant, true, this.offline(grant));
    }
    if (grantType === 'refresh_token') {
      const grant = this.grants.useRefresh(form.get('refresh_token'), this.clientId);
      if (!grant) return fail(400, 'invalid_grant', 'Token has been expired or revoked.');
      return this.sendTokens(ex, grant, false, false); // Google keeps the refresh token: none in the response
    }
    return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }

  private async sendTokens(ex: Exchange, grant: Grant, withNonce: boolean, withRefresh: boolean): Promise<void> {
    const accessToken = this.grants.issueAccess(grant, 3599, 'ya29.');
    const body: Record<string, string | number> = { access_token: accessToken, expires_in: 3599 };
    if (withRefresh) body.refresh_token = this.grants.issueRefresh(grant, '1//0g');
    body.scope = this.longScope(grant);
    body.token_type = 'Bearer';
    body.id_token = await this.idToken(grant, accessToken, withNonce);
    sendJson(ex.res, 200, body, NO_STORE);
  }

  private async idToken(grant: Grant, accessToken: string, withNonce: boolean): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    // OIDC Core §3.1.3.6: at_hash = BASE64URL(left half of SHA-256(access_token)).
    const atHash = createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
    let claims: IdTokenClaims = {
      iss: this.url,
      azp: this.clientId,
      aud: this.clientId,
      sub: this.user.sub,
      at_hash: atHash,
      ...this.claimsFor(grant),
      ...(withNonce && grant.nonce ? { nonce: grant.nonce } : {}),
      iat: now,
      exp: now + 3600,
    };
    const override = this.nextOverride;
    this.nextOverride = undefined;
    if (typeof override === 'function') claims = override(claims);
    else if (override) {
      for (const [name, value] of Object.entries(override)) {
        if (value === undefined) delete claims[name];
        else claims[name] = value;
      }
    }
    const signer = this.foreignNext ? newKey(this.key.kid) : this.key;
    this.foreignNext = false;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.key.kid, typ: 'JWT' }).sign(signer.privateKey);
  }

  private userinfo(ex: Exchange): void {
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') {
      return sendJson(
        ex.res,
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        {
          'www-authenticate': `Bearer realm="${this.url}/", error="invalid_token"`,
        },
      );
    }
    sendJson(ex.res, 200, { sub: this.user.sub, ...this.claimsFor(rec.grant) });
  }

  /**
   * People API people.get for `people/me` (https://developers.google.com/people/api/rest/v1/people/get):
   * a bearer token, a `personFields` mask (400 INVALID_ARGUMENT without one), and the scope each
   * field needs (403 with an insufficient_scope challenge). Errors are Google's JSON error shape.
   */
  private person(ex: Exchange): void {
    const googleError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      sendJson(ex.res, status, { error: { code: status, message, status: code } }, headers);
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') {
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      });
    }
    const fields = (ex.query.get('personFields') ?? '').split(',').filter(Boolean);
    if (fields.length === 0)
      return googleError(400, 'INVALID_ARGUMENT', 'personFields mask is required. Please specify one or more valid paths.');
    const unknown = fields.find((f) => !(f in PERSON_FIELD_SCOPES));
    if (unknown) return googleError(400, 'INVALID_ARGUMENT', `Invalid personFields mask path: "${unknown}".`);
    const granted = rec.grant.scope.split(' ');
    const missing = fields.map((f) => PERSON_FIELD_SCOPES[f]!).find((scope) => !granted.includes(scope));
    if (missing) {
      return googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
        'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${LONG_SCOPES[missing]}"`,
      });
    }
    const source = { primary: true, source: { type: 'PROFILE', id: this.user.sub } };
    sendJson(ex.res, 200, {
      resourceName: `people/${this.user.sub}`,
      etag: '%EgUBAi43PRoEAQIFByIMR0xCc0FMcVBJQmc9',
      ...(fields.includes('names') && {
        names: [{ metadata: source, displayName: this.user.name, givenName: this.user.given_name, familyName: this.user.family_name }],
      }),
      ...(fields.includes('emailAddresses') && { emailAddresses: [{ metadata: source, value: this.user.email }] }),
    });
  }

  /** Revocation (RFC 7009) with Google's answers: 200 on success, 400 invalid_token for an unknown token. */
  private revoke(ex: Exchange): void {
    const token = (formBody(ex) ?? ex.query).get('token') ?? ex.query.get('token');
    const grant = token ? this.grants.findGrant(token) : undefined;
    if (!grant) return sendJson(ex.res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
    this.grants.revoke(grant); // revoking either token ends the whole grant
    sendJson(ex.res, 200, {});
  }

  /** Profile claims the granted scopes release. */
  private claimsFor(grant: Grant): Partial<GoogleUser> {
    const scopes = grant.scope.split(' ');
    const { email, email_verified, name, picture, given_name, family_name } = this.user;
    return {
      ...(scopes.includes('email') ? { email, email_verified } : {}),
      ...(scopes.includes('profile') ? { name, picture, given_name, family_name } : {}),
    };
  }

  private offline(grant: Grant): boolean {
    const prompt = (grant.params.get('prompt') ?? '').split(' ');
    return grant.params.get('access_type') === 'offline' && prompt.includes('consent');
  }

  private longScope(grant: Grant): string {
    return grant.scope
      .split(' ')
      .filter(Boolean)
      .map((s) => LONG_SCOPES[s] ?? s)
      .join(' ');
  }
}

/** Where the fake serves people.googleapis.com: a path of its own, so a test sees which base a call went to. */
const PEOPLE_HOST = '/people-host';

/** The scope (short form) each supported People API field needs. */
const PERSON_FIELD_SCOPES: Record<string, string> = { names: 'profile', emailAddresses: 'email' };

export async function startFakeGoogle(opts: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  return new FakeGoogle(opts).listen();
}
