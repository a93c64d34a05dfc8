import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { ProviderDefinition } from './types.js';

/** The API version the gateway speaks; every request must name one (https://developers.notion.com/reference/versioning). */
const NOTION_VERSION = '2022-06-28';

interface NotionPerson {
  id: string;
  name?: string | null;
  avatar_url?: string | null;
  person?: { email?: string };
}

/** GET /v1/users/me answers with the integration's bot user; the person who connected is its owner. */
interface NotionBotUser {
  object: 'user';
  id: string;
  type: 'bot';
  name?: string | null;
  avatar_url?: string | null;
  bot?: { owner?: { type: 'user'; user?: NotionPerson } | { type: 'workspace'; workspace: true }; workspace_name?: string };
}

/**
 * Notion public integrations. The token endpoint takes HTTP Basic and a JSON body; the authorization
 * request needs `owner=user`; there are no scopes (capabilities are set on the integration, the
 * e-mail only with "read user information including email addresses"). Errors are
 * `{object:"error", code, message}`; refresh rotates the refresh token. Every call names `Notion-Version`.
 * https://developers.notion.com/docs/authorization
 * https://developers.notion.com/reference/create-a-token
 * https://developers.notion.com/reference/status-codes
 */
export const notion: ProviderDefinition = {
  id: 'notion',
  name: 'Notion',
  protocol: 'OAUTH2',
  defaultScopes: [],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://api.notion.com/v1/oauth/authorize',
  tokenUrl: 'https://api.notion.com/v1/oauth/token',
  revocationUrl: 'https://api.notion.com/v1/oauth/revoke',
  apiUrl: 'https://api.notion.com/v1',
  authorizationParams: { owner: 'user' },
  apiHeaders: { 'notion-version': NOTION_VERSION },
  tokenEndpoint: {
    body: 'json',
    headers: { 'notion-version': NOTION_VERSION },
    errorCode: (body) =>
      typeof body.error === 'string' ? body.error : body.object === 'error' && typeof body.code === 'string' ? body.code : undefined,
  },
  supportsRefresh: true,
  proxy: { allow: ['GET /users/me', 'GET /pages/**', 'GET /blocks/**', 'GET /databases/**'] },

  async fetchProfile(ctx) {
    const bot = ctx.json<NotionBotUser & Record<string, unknown>>(await ctx.api('/users/me'));
    if (bot.object !== 'user' || typeof bot.id !== 'string') {
      throw new AppError(ErrorCode.PROVIDER_ERROR, 'Notion answered outside its documented shape.', { provider: ctx.providerId });
    }
    const owner = bot.bot?.owner;
    const person = owner?.type === 'user' ? owner.user : undefined;
    if (!person || typeof person.id !== 'string') {
      // A workspace-owned (internal or legacy) token names no person to connect.
      throw new AppError(ErrorCode.PROVIDER_ERROR, 'Notion named no user owning this connection.', { provider: ctx.providerId });
    }
    const email = person.person?.email ?? null;
    return {
      provider: ctx.providerId,
      id: person.id,
      displayName: person.name ?? null,
      username: null,
      email,
      // Notion documents no verification of the address.
      emailVerified: null,
      avatarUrl: person.avatar_url ?? null,
      profileUrl: null,
      raw: bot,
    };
  },
};
