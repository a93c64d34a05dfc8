/**
 * Fake Spotify accounts + Web API, following
 * https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow,
 * https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens and
 * https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile.
 */
import { sendJson, formBody, type Exchange } from './fake-server.js';
import { type CodeProblem, type Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface SpotifyUser {
  id: string;
  display_name: string | null;
  email: string;
  country: string;
  product: string;
  images: { url: string; height: number | null; width: number | null }[];
  external_urls: { spotify: string };
  followers: { href: null; total: number };
  uri: string;
  href: string;
  type: 'user';
  explicit_content: { filter_enabled: boolean; filter_locked: boolean };
}

export interface FakeSpotifyOptions extends CommonOptions {
  /** Fields merged over the default user. */
  user?: Partial<SpotifyUser>;
  /** Return a new refresh token on refresh and invalidate the old one (default: the new one is omitted). */
  rotateRefreshTokens?: boolean;
  /** Lifetime of the access tokens it issues (default 3600 s, as Spotify's). */
  accessTokenTtlSeconds?: number;
}

export function defaultSpotifyUser(): SpotifyUser {
  return {
    id: 'smedjan',
    display_name: 'Ada Lovelace',
    email: 'ada@example.com',
    country: 'SE',
    product: 'premium',
    images: [
      { url: 'https://i.scdn.co/image/ab6775700000ee8555c25988a6ac314394d3fbf5', height: 300, width: 300 },
      { url: 'https://i.scdn.co/image/ab67757000003b8255c25988a6ac314394d3fbf5', height: 64, width: 64 },
    ],
    external_urls: { spotify: 'https://open.spotify.com/user/smedjan' },
    followers: { href: null, total: 42 },
    uri: 'spotify:user:smedjan',
    href: 'https://api.spotify.com/v1/users/smedjan',
    type: 'user',
    explicit_content: { filter_enabled: false, filter_locked: false },
  };
}

const CODE_ERRORS: Record<CodeProblem, string> = {
  unknown: 'Invalid authorization code',
  reused: 'Invalid authorization code',
  client: 'Invalid authorization code',
  expired: 'Authorization code expired',
  redirect_uri: 'Invalid redirect URI',
  pkce: 'code_verifier was incorrect',
};

export class FakeSpotify extends OAuthFake {
  protected override readonly tokenPath = '/api/token';
  private readonly user: SpotifyUser;

  constructor(private readonly opts: FakeSpotifyOptions = {}) {
    super({ clientId: 'spotify-client', clientSecret: 'spotify-secret' }, opts);
    this.codePrefix = 'AQ';
    this.user = { ...defaultSpotifyUser(), ...opts.user };
  }

  override env(): Record<string, string> {
    return {
      SPOTIFY_CLIENT_ID: this.clientId,
      SPOTIFY_CLIENT_SECRET: this.clientSecret,
      SPOTIFY_AUTHORIZATION_URL: `${this.url}/authorize`,
      SPOTIFY_TOKEN_URL: `${this.url}/api/token`,
      SPOTIFY_API_URL: `${this.url}/v1`,
    };
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /authorize') return this.handleAuthorize(ex);
    if (key === 'POST /api/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'GET /v1/me') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 404, { error: { status: 404, message: 'Service not found' } });
  }

  private token(ex: Exchange): void {
    // Spotify answers every token error with 400 and an RFC 6749 §5.2 body, invalid_client included.
    const fail = (error: string, description: string) => sendJson(ex.res, 400, { error, error_description: description }, NO_STORE);
    const form = formBody(ex);
    if (!form) return fail('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    // The PKCE tutorial also allows a public client (client_id in the body); a confidential client, which
    // the gateway is, authenticates with Basic only.
    const auth = this.clientAuth(ex, form, { basic: true, post: false });
    if (!auth.ok) return fail(auth.error, auth.description);

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (typeof grant === 'string') return fail('invalid_grant', CODE_ERRORS[grant]);
      return sendJson(ex.res, 200, this.tokens(grant, true), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      // Refresh tokens die with the grant (and after six months): invalid_grant.
      if (!grant) return fail('invalid_grant', 'Refresh token revoked');
      const rotate = this.opts.rotateRefreshTokens === true;
      if (rotate) this.grants.retireRefresh(old!);
      return sendJson(ex.res, 200, this.tokens(grant, rotate), NO_STORE);
    }
    if (!grantType) return fail('invalid_request', 'grant_type parameter is missing');
    return fail('unsupported_grant_type', 'grant_type parameter is invalid');
  }

  private tokens(grant: Grant, withRefresh: boolean): Record<string, string | number> {
    const ttl = this.opts.accessTokenTtlSeconds ?? 3600;
    const body: Record<string, string | number> = {
      access_token: this.grants.issueAccess(grant, ttl, 'BQ'),
      token_type: 'Bearer',
      scope: grant.scope,
      expires_in: ttl,
    };
    if (withRefresh) body.refresh_token = this.grants.issueRefresh(grant, 'AQ');
    return body;
  }

  private me(ex: Exchange): void {
    // Web API errors use the "regular error object" plus an RFC 6750 §3 challenge.
    const unauthorized = (message: string) =>
      sendJson(
        ex.res,
        401,
        { error: { status: 401, message } },
        {
          'www-authenticate': `Bearer realm="spotify", error="invalid_token", error_description="${message}"`,
        },
      );
    const token = bearerToken(ex.headers);
    if (!token) return unauthorized('No token provided');
    const rec = this.grants.checkAccess(token);
    if (rec === 'expired') return unauthorized('The access token expired');
    if (rec === 'invalid') return unauthorized('Invalid access token');

    // Fields the granted scopes do not cover are left out, as Spotify does.
    const scopes = rec.grant.scope.split(' ');
    const { email, country, product, explicit_content, ...user } = this.user;
    sendJson(ex.res, 200, {
      ...user,
      ...(scopes.includes('user-read-email') ? { email } : {}),
      ...(scopes.includes('user-read-private') ? { country, product, explicit_content } : {}),
    });
  }
}

export async function startFakeSpotify(opts: FakeSpotifyOptions = {}): Promise<FakeSpotify> {
  return new FakeSpotify(opts).listen();
}
