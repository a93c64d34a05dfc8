/**
 * Fake Notion (public integration OAuth and /v1/users/me), following
 * https://developers.notion.com/docs/authorization, https://developers.notion.com/reference/create-a-token,
 * https://developers.notion.com/reference/refresh-a-token and https://developers.notion.com/reference/status-codes:
 * Basic client authentication with a JSON body, `owner=user`, no PKCE and no scopes, rotating refresh
 * tokens, `{object:"error",status,code,message}` errors, and the Notion-Version header on API calls.
 */
import { randomUUID } from 'node:crypto';
import { mediaType, parseJson, sendJson, type Exchange } from './fake-server.js';
import type { Grant } from './grants.js';
import { NO_STORE, OAuthFake, bearerToken, type CommonOptions } from './oauth-core.js';

export interface NotionPerson {
  object: 'user';
  id: string;
  name: string;
  avatar_url: string | null;
  type: 'person';
  person: { email?: string };
}

export interface FakeNotionOptions extends CommonOptions {
  user?: Partial<Omit<NotionPerson, 'person'>> & { email?: string };
  /** The integration has the "read user information including email addresses" capability (default true). */
  emailCapability?: boolean;
}

export class FakeNotion extends OAuthFake {
  protected override readonly tokenPath = '/v1/oauth/token';
  protected override pkce = 'ignored' as const;
  private readonly person: NotionPerson;
  private readonly botId = randomUUID();

  constructor(private readonly opts: FakeNotionOptions = {}) {
    super({ clientId: '1e2d8c4f-notion-client', clientSecret: 'secret_notion' }, opts);
    this.revokeRoute = { path: '/v1/oauth/revoke', method: 'POST' };
    const { email = 'ada@example.com', ...user } = opts.user ?? {};
    this.person = {
      object: 'user',
      id: '6794760a-1f15-45cd-9c65-0dfe42f5135a',
      name: 'Ada Lovelace',
      avatar_url: 'https://s3-us-west-2.amazonaws.com/public.notion-static.com/ada.png',
      type: 'person',
      person: { email },
      ...user,
    };
  }

  override env(): Record<string, string> {
    return {
      NOTION_CLIENT_ID: this.clientId,
      NOTION_CLIENT_SECRET: this.clientSecret,
      NOTION_AUTHORIZATION_URL: `${this.url}/v1/oauth/authorize`,
      NOTION_TOKEN_URL: `${this.url}/v1/oauth/token`,
      NOTION_REVOCATION_URL: `${this.url}/v1/oauth/revoke`,
      NOTION_API_URL: `${this.url}/v1`,
    };
  }

  protected override checkAuthorizeExtra(q: URLSearchParams): string | undefined {
    if (q.get('owner') !== 'user') return 'invalid_request: owner must be "user"';
    return undefined;
  }

  protected override async route(ex: Exchange): Promise<void> {
    const key = `${ex.method} ${ex.path}`;
    if (key === 'GET /v1/oauth/authorize') return this.handleAuthorize(ex);
    if (key === 'POST /v1/oauth/token') return (await this.playFailure('token', ex)) ? undefined : this.token(ex);
    if (key === 'POST /v1/oauth/revoke') return (await this.playFailure('revoke', ex)) ? undefined : this.revoke(ex);
    if (key === 'GET /v1/users/me') return (await this.playFailure('profile', ex)) ? undefined : this.me(ex);
    this.error(ex, 404, 'object_not_found', 'Could not find the requested resource.');
  }

  private error(ex: Exchange, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    sendJson(ex.res, status, { object: 'error', status, code, message, request_id: randomUUID() }, headers);
  }

  /** The request's parameters, from JSON or (to find misplaced credentials) a form; and whether it was JSON. */
  private params(ex: Exchange): { params: URLSearchParams; json: boolean } {
    const json = mediaType(ex.headers['content-type']) === 'application/json';
    const parsed = json ? parseJson(ex.body) : undefined;
    if (json && parsed && typeof parsed === 'object') {
      const entries = Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
      return { params: new URLSearchParams(entries), json: true };
    }
    return { params: new URLSearchParams(json ? '' : ex.body), json: false };
  }

  private token(ex: Exchange): void {
    const fail = (status: number, code: string, message: string) => this.error(ex, status, code, message, NO_STORE);
    const { params, json } = this.params(ex);
    // Basic only (better-auth#3567 got invalid_client with body credentials).
    const auth = this.clientAuth(ex, params, { basic: true, post: false });
    if (!auth.ok) return fail(401, 'invalid_client', 'Invalid client.');
    if (!json) return fail(400, 'invalid_request', 'body failed validation: body should be a JSON object.');

    const grantType = params.get('grant_type');
    if (grantType === 'authorization_code') {
      const grant = this.grants.redeemCode(params.get('code'), this.clientId, params.get('redirect_uri'), params.get('code_verifier'));
      if (grant === 'redirect_uri') return fail(400, 'invalid_request', 'Invalid redirect_uri.');
      if (typeof grant === 'string') return fail(400, 'invalid_grant', 'Invalid code: this code has been revoked.');
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    if (grantType === 'refresh_token') {
      const old = params.get('refresh_token');
      const grant = this.grants.useRefresh(old, this.clientId);
      if (!grant) return fail(400, 'invalid_grant', 'Invalid refresh token.');
      this.grants.retireRefresh(old!); // a refresh returns a new access and refresh token
      return sendJson(ex.res, 200, this.tokens(grant), NO_STORE);
    }
    return fail(400, 'unsupported_grant_type', 'Unsupported grant_type.');
  }

  /** No expires_in: the examples have none. The person who connected is the bot's owner. */
  private tokens(grant: Grant): Record<string, unknown> {
    return {
      access_token: this.grants.issueAccess(grant, null, 'secret_'),
      token_type: 'bearer',
      refresh_token: this.grants.issueRefresh(grant, 'nrt_'),
      bot_id: this.botId,
      workspace_id: 'a6f7b7d3-workspace',
      workspace_name: "Ada's workspace",
      workspace_icon: null,
      owner: { type: 'user', user: this.ownerUser() },
      duplicated_template_id: null,
      request_id: randomUUID(),
    };
  }

  private ownerUser(): NotionPerson {
    return this.opts.emailCapability === false ? { ...this.person, person: {} } : this.person;
  }

  private revoke(ex: Exchange): void {
    const { params, json } = this.params(ex);
    const auth = this.clientAuth(ex, params, { basic: true, post: false });
    if (!auth.ok) return this.error(ex, 401, 'invalid_client', 'Invalid client.');
    if (!json) return this.error(ex, 400, 'invalid_request', 'body failed validation: body should be a JSON object.');
    const grant = this.grants.findGrant(params.get('token') ?? '');
    if (!grant) return this.error(ex, 400, 'invalid_grant', 'Invalid token.');
    this.grants.revoke(grant);
    sendJson(ex.res, 200, { request_id: randomUUID() });
  }

  /** The bot user of the integration, owned by the person who connected it. */
  private me(ex: Exchange): void {
    if (!ex.headers['notion-version']) {
      return this.error(ex, 400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined.');
    }
    const token = bearerToken(ex.headers);
    const rec = token ? this.grants.checkAccess(token) : 'invalid';
    if (typeof rec === 'string') return this.error(ex, 401, 'unauthorized', 'API token is invalid.');
    sendJson(ex.res, 200, {
      object: 'user',
      id: this.botId,
      name: 'Gateway Integration',
      avatar_url: null,
      type: 'bot',
      bot: { owner: { type: 'user', user: this.ownerUser() }, workspace_name: "Ada's workspace" },
      request_id: randomUUID(),
    });
  }
}

export async function startFakeNotion(opts: FakeNotionOptions = {}): Promise<FakeNotion> {
  return new FakeNotion(opts).listen();
}
