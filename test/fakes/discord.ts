/**
 * Fake Discord OAuth2 + API, following https://discord.com/developers/docs/topics/oauth2 (token and
 * revocation endpoints, form bodies only, Basic or body credentials, rotating refresh tokens),
 * https://discord.com/developers/docs/resources/user (the user object) and
 * https://discord.com/developers/docs/reference#user-agent.
 */
import { formBody, sendJson, sendText, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface FakeDiscordOptions extends CommonOptions {
  /** Fields merged over the default user object. */
  user?: Record<string, unknown>;
}

const SCOPES = new Set(['identify', 'email', 'guilds', 'connections', 'guilds.members.read']);

export class FakeDiscord extends OAuthFake {
  protected override readonly tokenPath = '/api/oauth2/token';
  private readonly user: Record<string, unknown>;

  constructor(opts: FakeDiscordOptions = {}) {
    super({ clientId: '1234567890123456789', clientSecret: 'discord-secret' }, opts);
    // PKCE is for public clients; a confidential client's challenge is not checked.
    this.pkce = 'ignored';
    this.revokeRoute = { path: '/api/oauth2/token/revoke', method: 'POST' };
    this.user = {
      id: '80351110224678912',
      username: 'nelly',
      discriminator: '0',
      global_name: 'Nelly',
      avatar: '8342729096ea3675442027381ff50dfe',
      bot: false,
      mfa_enabled: true,
      banner: null,
      accent_color: null,
      locale: 'en-US',
      email: 'nelly@discord.com',
      verified: true,
      flags: 64,
      premium_type: 1,
      public_flags: 64,
      ...opts.user,
    };
  }

  override env(): Record<string, string> {
    return {
      DISCORD_CLIENT_ID: this.clientId,
      DISCORD_CLIENT_SECRET: this.clientSecret,
      DISCORD_AUTHORIZATION_URL: `${this.url}/oauth2/authorize`,
      DISCORD_TOKEN_URL: `${this.url}/api/oauth2/token`,
      DISCORD_REVOCATION_URL: `${this.url}/api/oauth2/token/revoke`,
      DISCORD_API_URL: `${this.url}/api/v10`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    const scopes = (q.get('scope') ?? '').split(' ');
    if (!scopes.every((s) => SCOPES.has(s))) return `invalid_scope: the requested scope is invalid, unknown, or malformed`;
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /oauth2/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /api/oauth2/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /api/oauth2/token/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === 'GET /api/v10/users/@me') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    sendJson(ex.res, 404, { message: '404: Not Found', code: 0 });
  }

  /** Form bodies only: a JSON body is not parsed, so its grant_type reads as missing. */
  private form(ex: Exchange): URLSearchParams | undefined {
    const form = formBody(ex);
    if (!form) sendJson(ex.res, 400, { error: 'unsupported_grant_type', error_description: 'Grant type None is not supported' }, NO_STORE);
    return form;
  }

  private authenticated(ex: Exchange, form: URLSearchParams): boolean {
    const auth = this.clientAuth(ex, form, { basic: true, post: true });
    if (!auth.ok) sendJson(ex.res, 401, { error: 'invalid_client' }, NO_STORE);
    return auth.ok;
  }

  private token(ex: Exchange): void {
    const fail = (error: string, description: string) => sendJson(ex.res, 400, { error, error_description: description }, NO_STORE);
    const form = this.form(ex);
    if (!form || !this.authenticated(ex, form)) return;
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(form.get('code'), this.clientId, form.get('redirect_uri'), form.get('code_verifier'));
      if (grant === 'redirect_uri') return fail('invalid_grant', 'Invalid "redirect_uri" in request.');
      if (typeof grant === 'string') return fail('invalid_grant', 'Invalid "code" in request.');
      return this.sendTokens(ex, grant);
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail('invalid_grant', 'Invalid "refresh_token" in request.');
      this.grants.retireRefresh(old!); // single use: the old token now answers invalid_grant
      return this.sendTokens(ex, grant);
    }
    fail('unsupported_grant_type', `Grant type ${grantType ?? 'None'} is not supported`);
  }

  private sendTokens(ex: Exchange, grant: Grant): void {
    sendJson(
      ex.res,
      200,
      {
        token_type: 'Bearer',
        access_token: this.grants.issueAccess(grant, 604800),
        expires_in: 604800,
        refresh_token: this.grants.issueRefresh(grant),
        scope: grant.scope,
      },
      NO_STORE,
    );
  }

  /** Revoking any token of an authorization revokes the whole authorization. */
  private revoke(ex: Exchange): void {
    const form = this.form(ex);
    if (!form || !this.authenticated(ex, form)) return;
    const grant = this.grants.findGrant(form.get('token') ?? '');
    if (grant) this.grants.revoke(grant);
    sendJson(ex.res, 200, {});
  }

  private me(ex: Exchange): void {
    // Without a User-Agent, Cloudflare in front of the API blocks the request.
    if (!/^DiscordBot \(.+\)$/.test(ex.headers['user-agent'] ?? '')) {
      return sendText(ex.res, 403, '<!DOCTYPE html><title>Access denied | discord.com used Cloudflare to restrict access</title>', {
        'content-type': 'text/html; charset=utf-8',
      });
    }
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') return sendJson(ex.res, 401, { message: '401: Unauthorized', code: 0 });
    const scopes = rec.grant.scope.split(' ');
    if (!scopes.includes('identify')) return sendJson(ex.res, 401, { message: '401: Unauthorized', code: 0 });
    // Without the email scope, the address is null and verified is absent.
    const { email, verified, ...user } = this.user;
    sendJson(ex.res, 200, scopes.includes('email') ? { ...user, email, verified } : { ...user, email: null });
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return new FakeDiscord(opts).listen();
}
