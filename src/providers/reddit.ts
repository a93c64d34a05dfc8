import { absoluteUrl, accountId, text } from './profile-fields.js';
import type { ProviderDefinition } from './types.js';

/** The fields of Reddit's `/api/v1/me` that the mapper reads. */
interface RedditUser {
  id: string;
  name?: string;
  icon_img?: string;
  has_verified_email?: boolean;
}

/** Reddit's API rules ask for a unique, descriptive agent: `<platform>:<app id>:<version> (by /u/<user>)`. */
const USER_AGENT = 'web:oauth-graphql-gateway:0.1.0 (by /u/oauth-graphql-gateway)';

/**
 * Reddit OAuth2. Client authentication is HTTP Basic only; every request, token calls included, needs a
 * descriptive User-Agent (generic ones are throttled to 429); a refresh token needs `duration=permanent`
 * and is not rotated; token errors come inside HTTP 200 (read by the flow's `error` check); the API is on
 * its own host, oauth.reddit.com. Reddit gives no e-mail address.
 * https://github.com/reddit-archive/reddit/wiki/OAuth2, https://github.com/reddit-archive/reddit/wiki/API
 */
export const reddit: ProviderDefinition = {
  id: 'reddit',
  name: 'Reddit',
  protocol: 'OAUTH2',
  defaultScopes: ['identity'],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://www.reddit.com/api/v1/authorize',
  tokenUrl: 'https://www.reddit.com/api/v1/access_token',
  apiUrl: 'https://oauth.reddit.com',
  revocationUrl: 'https://www.reddit.com/api/v1/revoke_token',
  authorizationParams: { duration: 'permanent' },
  tokenEndpoint: { headers: { 'user-agent': USER_AGENT } },
  apiHeaders: { 'user-agent': USER_AGENT },
  supportsRefresh: true,
  proxy: { allow: ['GET /api/v1/me', 'GET /api/v1/me/karma', 'GET /api/v1/me/prefs', 'GET /api/v1/me/trophies', 'GET /subreddits/mine/*'] },

  async fetchProfile(ctx) {
    const user = ctx.json<RedditUser & Record<string, unknown>>(await ctx.api('/api/v1/me'));
    const name = text(user.name);
    return {
      provider: ctx.providerId,
      id: accountId(user.id, ctx.providerId),
      displayName: name,
      username: name,
      // Reddit never discloses the address; has_verified_email only says that one exists.
      email: null,
      emailVerified: null,
      // The icon URL is HTML-escaped (`&amp;` between its signed query parameters).
      avatarUrl: absoluteUrl(user.icon_img?.replace(/&amp;/g, '&')),
      profileUrl: name ? `https://www.reddit.com/user/${encodeURIComponent(name)}/` : null,
      raw: user,
    };
  },
};
