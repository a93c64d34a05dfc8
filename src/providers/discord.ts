import { accountId, text } from './profile-fields.js';
import type { ProviderDefinition } from './types.js';

/** The fields of Discord's user object that the mapper reads (https://discord.com/developers/docs/resources/user). */
interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
  discriminator?: string;
  avatar?: string | null;
  email?: string | null;
  verified?: boolean;
}

const CDN = 'https://cdn.discordapp.com';

/**
 * The user's avatar, or Discord's default one: animated hashes start with `a_`; without a hash the
 * default index is `(id >> 22) % 6`, or `discriminator % 5` for users not yet migrated off discriminators
 * (https://discord.com/developers/docs/reference#image-formatting).
 */
function avatarUrl(user: DiscordUser): string | null {
  if (user.avatar) return `${CDN}/avatars/${user.id}/${user.avatar}.${user.avatar.startsWith('a_') ? 'gif' : 'png'}`;
  if (!/^\d+$/.test(user.id)) return null;
  const legacy = user.discriminator && user.discriminator !== '0' ? Number(user.discriminator) % 5 : undefined;
  const index = legacy ?? Number((BigInt(user.id) >> 22n) % 6n);
  return `${CDN}/embed/avatars/${index}.png`;
}

/**
 * Discord OAuth2 (not OIDC). The token and revocation endpoints take form bodies only, and Basic or body
 * credentials; a refresh rotates the refresh token and the old one then answers `invalid_grant`. Requests
 * need a `DiscordBot (url, version)` User-Agent. https://discord.com/developers/docs/topics/oauth2
 */
export const discord: ProviderDefinition = {
  id: 'discord',
  name: 'Discord',
  protocol: 'OAUTH2',
  defaultScopes: ['identify', 'email'],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://discord.com/oauth2/authorize',
  tokenUrl: 'https://discord.com/api/oauth2/token',
  apiUrl: 'https://discord.com/api/v10',
  revocationUrl: 'https://discord.com/api/oauth2/token/revoke',
  // https://discord.com/developers/docs/reference#user-agent
  apiHeaders: { 'user-agent': 'DiscordBot (https://github.com/oauth-graphql-gateway, 0.1.0)' },
  supportsRefresh: true,
  proxy: { allow: ['GET /users/@me', 'GET /users/@me/guilds', 'GET /users/@me/connections', 'GET /oauth2/@me'] },

  async fetchProfile(ctx) {
    const user = ctx.json<DiscordUser & Record<string, unknown>>(await ctx.api('/users/@me'));
    const id = accountId(user.id, ctx.providerId);
    const email = text(user.email);
    return {
      provider: ctx.providerId,
      id,
      displayName: text(user.global_name) ?? text(user.username),
      username: text(user.username),
      email,
      // `verified`: "whether the email on this account has been verified".
      emailVerified: email && typeof user.verified === 'boolean' ? user.verified : null,
      avatarUrl: avatarUrl({ ...user, id }),
      profileUrl: null,
      raw: user,
    };
  },
};
