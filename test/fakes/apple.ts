/**
 * Fake Sign in with Apple (REST), following
 * https://developer.apple.com/documentation/sign_in_with_apple/request_an_authorization_to_the_sign_in_with_apple_server,
 * .../generate_and_validate_tokens, .../revoke_tokens and
 * https://developer.apple.com/documentation/accountorganizationaldatasharing/creating-a-client-secret:
 * the client secret is an ES256 JWT (kid, iss = Team ID, sub = client id, aud = the issuer, at most
 * six months) sent in the body; asking for a scope requires `response_mode=form_post`, and the answer
 * is an auto-submitting form POSTed to the redirect URI, with the `user` field on the first consent
 * only; no userinfo; a refresh returns no new refresh token; `email_verified` may be a string.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { formBody, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { IdTokenSigner, atHash, nowSeconds } from './id-tokens.js';
import { NO_STORE, OAuthFake, type CommonOptions } from './oauth-core.js';

export interface FakeAppleOptions extends CommonOptions {
  /** Send email_verified / is_private_email as booleans instead of Apple's usual strings. */
  booleanClaims?: boolean;
  email?: string;
}

/** Longest lifetime Apple accepts for a client secret: 15777000 s (six months). */
const MAX_SECRET_LIFETIME = 15777000;

export class FakeApple extends OAuthFake {
  protected override readonly tokenPath = '/auth/token';
  // PKCE is not documented for Sign in with Apple: its parameters are ignored.
  protected override pkce = 'ignored' as const;
  readonly signer = new IdTokenSigner();
  readonly teamId = 'A1B2C3D4E5';
  readonly keyId = 'K9Y8X7W6V5';
  /** The developer's .p8 key, registered with the fake under `keyId`. */
  private readonly developerKey: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private consented = false;
  readonly sub = '001234.6f1e0ad7c1e64b8e9d2f0a3b4c5d6e7f.1234';

  constructor(private readonly opts: FakeAppleOptions = {}) {
    super({ clientId: 'com.example.gateway.signin', clientSecret: '' }, opts);
    this.revokeRoute = { path: '/auth/revoke', method: 'POST' };
  }

  /** Once listening, `clientSecret` is a valid secret JWT, for requests the gateway itself never sends. */
  override async listen(): Promise<this> {
    await super.listen();
    Object.assign(this, { clientSecret: await this.mintSecret({}) });
    return this;
  }

  /** A client secret JWT as the developer would mint it; `changes` tampers with it. */
  async mintSecret(changes: {
    kid?: string;
    iss?: string;
    sub?: string;
    aud?: string;
    lifetime?: number;
    key?: KeyObject;
  }): Promise<string> {
    const now = nowSeconds();
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: changes.kid ?? this.keyId })
      .setIssuer(changes.iss ?? this.teamId)
      .setSubject(changes.sub ?? this.clientId)
      .setAudience(changes.aud ?? this.url)
      .setIssuedAt(now)
      .setExpirationTime(now + (changes.lifetime ?? 300))
      .sign(changes.key ?? this.developerKey.privateKey);
  }

  override env(): Record<string, string> {
    const pem = this.developerKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return {
      APPLE_CLIENT_ID: this.clientId,
      APPLE_TEAM_ID: this.teamId,
      APPLE_KEY_ID: this.keyId,
      // One line with \n escapes, as environments usually hold it.
      APPLE_PRIVATE_KEY: pem.trim().replace(/\n/g, '\\n'),
      APPLE_ISSUER: this.url,
    };
  }

  /** Plays the consent screen and reads the form Apple would POST: the fields, as a URL for the common interface. */
  override async authorize(authorizationUrl: string, opts: { deny?: boolean } = {}): Promise<URL> {
    const { action, fields } = await this.authorizeForm(authorizationUrl, opts);
    const url = new URL(action);
    for (const [name, value] of fields) url.searchParams.set(name, value);
    return url;
  }

  /** The auto-submitting form of a form_post answer: where it posts and what. */
  async authorizeForm(authorizationUrl: string, opts: { deny?: boolean } = {}): Promise<{ action: string; fields: URLSearchParams }> {
    const html = await get(new URL(authorizationUrl), opts.deny ? { 'x-fake-consent': 'deny' } : {});
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`authorization request rejected: ${html}`);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields.set(unescape(m[1]!), unescape(m[2]!));
    return { action: unescape(action), fields };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    // nov/apple_id#6
    if (q.get('scope') && q.get('response_mode') !== 'form_post') {
      return 'invalid_request: response_mode must be form_post when name or email scope is requested.';
    }
    return undefined;
  }

  protected override denial(): Record<string, string> {
    return { error: 'user_cancelled_authorize' };
  }

  /** The name and e-mail reach the client only on the first consent. */
  protected override extraRedirectParams(grant: Grant): Record<string, string> {
    if (this.consented) return {};
    this.consented = true;
    const scopes = grant.scope.split(' ');
    return {
      user: JSON.stringify({
        ...(scopes.includes('name') ? { name: { firstName: 'Ada', lastName: 'Lovelace' } } : {}),
        ...(scopes.includes('email') ? { email: this.email() } : {}),
      }),
    };
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /.well-known/openid-configuration') {
      if (await this.playFailure('discovery', ex)) return;
      return sendJson(ex.res, 200, this.discovery());
    }
    if (key === 'GET /auth/keys') return (await this.playFailure('jwks', ex)) ? undefined : sendJson(ex.res, 200, this.signer.jwks());
    if (key === 'GET /auth/authorize') return this.formPost(ex);
    if (key === 'POST /auth/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /auth/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    sendJson(ex.res, 404, { error: 'not_found' });
  }

  private discovery(): Record<string, unknown> {
    const u = this.url;
    return {
      issuer: u,
      authorization_endpoint: `${u}/auth/authorize`,
      token_endpoint: `${u}/auth/token`,
      revocation_endpoint: `${u}/auth/revoke`,
      jwks_uri: `${u}/auth/keys`,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'name'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      claims_supported: [
        'aud',
        'email',
        'email_verified',
        'exp',
        'iat',
        'is_private_email',
        'iss',
        'nonce',
        'nonce_supported',
        'real_user_status',
        'sub',
        'transfer_sub',
      ],
    };
  }

  /** Runs the common authorization checks, then answers the browser with a self-submitting form. */
  private formPost(ex: Exchange): void {
    let status = 0;
    let headers: Record<string, string> = {};
    let body = '';
    const capture = {
      writeHead(s: number, h: Record<string, string> = {}) {
        status = s;
        headers = h;
        return capture;
      },
      end(b?: string) {
        body = b ?? '';
      },
    };
    this.handleAuthorize({ ...ex, res: capture as unknown as http.ServerResponse });
    if (status !== 302) return void ex.res.writeHead(status, headers).end(body);
    const location = new URL(headers.location!);
    const fields = [...location.searchParams].map(([n, v]) => `<input type="hidden" name="${escape(n)}" value="${escape(v)}">`).join('');
    location.search = '';
    ex.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    ex.res.end(
      `<html><body onload="document.forms[0].submit()"><form method="post" action="${escape(location.toString())}">${fields}</form></body></html>`,
    );
  }

  /** Verifies the client secret JWT: ES256, the registered kid, iss, sub, aud, and a lifetime of at most six months. */
  private async secretValid(secret: string | null): Promise<boolean> {
    if (!secret) return false;
    try {
      if (decodeProtectedHeader(secret).kid !== this.keyId) return false;
      const { payload } = await jwtVerify(secret, this.developerKey.publicKey, {
        algorithms: ['ES256'],
        issuer: this.teamId,
        subject: this.clientId,
        audience: this.url,
        requiredClaims: ['iat', 'exp'],
      });
      return payload.exp! - payload.iat! <= MAX_SECRET_LIFETIME;
    } catch {
      return false;
    }
  }

  private async token(ex: Exchange): Promise<void> {
    const fail = (error: string, description?: string) =>
      sendJson(ex.res, 400, { error, ...(description ? { error_description: description } : {}) }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail('invalid_request');
    // client_secret_post only: a Basic header or a bad secret JWT is invalid_client.
    if (ex.headers.authorization !== undefined || form.get('client_id') !== this.clientId) return fail('invalid_client');
    if (!(await this.secretValid(form.get('client_secret')))) return fail('invalid_client');

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (typeof grant === 'string') return fail('invalid_grant', 'The code has expired or has been revoked.');
      const accessToken = this.grants.issueAccess(grant, 3600, 'a');
      return sendJson(
        ex.res,
        200,
        {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: this.grants.issueRefresh(grant, 'r'),
          id_token: await this.idToken(grant, accessToken, true),
        },
        NO_STORE,
      );
    }
    if (grantType === 'refresh_token') {
      const grant = this.grants.useRefresh(form.get('refresh_token'), this.clientId);
      if (!grant) return fail('invalid_grant', 'The token has expired or has been revoked.');
      const accessToken = this.grants.issueAccess(grant, 3600, 'a');
      // No new refresh token: the first one stays.
      const body = {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: await this.idToken(grant, accessToken, false),
      };
      return sendJson(ex.res, 200, body, NO_STORE);
    }
    return fail('unsupported_grant_type');
  }

  private email(): string {
    return this.opts.email ?? 'ada@privaterelay.appleid.com';
  }

  private idToken(grant: Grant, accessToken: string, withNonce: boolean): Promise<string> {
    const now = nowSeconds();
    const flag = (value: boolean) => (this.opts.booleanClaims ? value : String(value));
    const email = grant.scope.split(' ').includes('email');
    return this.signer.sign({
      iss: this.url,
      aud: this.clientId,
      exp: now + 86400,
      iat: now,
      sub: this.sub,
      at_hash: atHash(accessToken),
      ...(email
        ? { email: this.email(), email_verified: flag(true), is_private_email: flag(this.email().endsWith('@privaterelay.appleid.com')) }
        : {}),
      auth_time: now,
      nonce_supported: true,
      ...(withNonce && grant.nonce ? { nonce: grant.nonce } : {}),
      real_user_status: 2,
    });
  }

  private async revoke(ex: Exchange): Promise<void> {
    const form = formBody(ex);
    if (!form || ex.headers.authorization !== undefined || form.get('client_id') !== this.clientId) {
      return sendJson(ex.res, 400, { error: 'invalid_client' });
    }
    if (!(await this.secretValid(form.get('client_secret')))) return sendJson(ex.res, 400, { error: 'invalid_client' });
    const grant = this.grants.findGrant(form.get('token') ?? '');
    if (grant) this.grants.revoke(grant);
    ex.res.writeHead(200).end();
  }
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function get(url: URL, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

export async function startFakeApple(opts: FakeAppleOptions = {}): Promise<FakeApple> {
  return new FakeApple(opts).listen();
}
