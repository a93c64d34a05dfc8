import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { ProviderDefinition } from './types.js';

/** GET /2/users/me, wrapped in `data`: https://docs.x.com/x-api/users/user-lookup-me */
interface XUser {
  id: string;
  name?: string;
  username?: string;
  profile_image_url?: string;
  confirmed_email?: string;
}

/**
 * X (formerly Twitter), OAuth 2.0 authorization code with PKCE, which X requires. A confidential client
 * authenticates with HTTP Basic only. A refresh token comes only with `offline.access`; each is single
 * use. X answers a bad code or a dead refresh token with `invalid_request`, not `invalid_grant`.
 * https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
 * https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
 */
export const x: ProviderDefinition = {
  id: 'x',
  name: 'X',
  protocol: 'OAUTH2',
  defaultScopes: ['users.read', 'tweet.read', 'users.email', 'offline.access'],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://x.com/i/oauth2/authorize',
  tokenUrl: 'https://api.x.com/2/oauth2/token',
  revocationUrl: 'https://api.x.com/2/oauth2/revoke',
  apiUrl: 'https://api.x.com/2',
  tokenEndpoint: { deadGrantErrors: ['invalid_request'] },
  supportsRefresh: true,
  // The user's own resources: /users/me, and bookmarks (X serves them only to their owner).
  proxy: { allow: ['GET /users/me', 'GET /users/*/bookmarks'] },

  async fetchProfile(ctx) {
    const document = ctx.json<{ data?: XUser } & Record<string, unknown>>(
      await ctx.api('/users/me?user.fields=profile_image_url,confirmed_email'),
    );
    const user = document.data;
    if (!user || typeof user.id !== 'string') {
      throw new AppError(ErrorCode.PROVIDER_ERROR, 'X answered outside its documented shape.', { provider: ctx.providerId });
    }
    const email = typeof user.confirmed_email === 'string' ? user.confirmed_email : null;
    return {
      provider: ctx.providerId,
      id: user.id,
      displayName: user.name ?? null,
      username: user.username ?? null,
      email,
      // X releases only a confirmed address (with users.email): its presence is the verification.
      emailVerified: email === null ? null : true,
      avatarUrl: user.profile_image_url ?? null,
      profileUrl: user.username ? `https://x.com/${user.username}` : null,
      raw: document,
    };
  },
};
