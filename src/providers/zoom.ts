import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { ProviderDefinition } from './types.js';

/** GET /v2/users/me: https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId} */
interface ZoomUser {
  id: string;
  display_name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  verified?: number;
  pic_url?: string;
}

/**
 * Zoom (user-level OAuth app). HTTP Basic client authentication; PKCE S256; scopes are set on the app
 * in the Marketplace, and a `scope` on the authorization URL has been refused ("Invalid scopes"), so
 * none is sent by default. Each refresh returns a new refresh token and kills the old one. Errors are
 * `{reason, error}`; tokens are never accepted in a query string.
 * https://developers.zoom.us/docs/integrations/oauth/
 * https://developers.zoom.us/docs/integrations/oauth-error-messages/
 */
export const zoom: ProviderDefinition = {
  id: 'zoom',
  name: 'Zoom',
  protocol: 'OAUTH2',
  defaultScopes: [],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://zoom.us/oauth/authorize',
  tokenUrl: 'https://zoom.us/oauth/token',
  revocationUrl: 'https://zoom.us/oauth/revoke',
  apiUrl: 'https://api.zoom.us/v2',
  supportsRefresh: true,
  proxy: { allow: ['GET /users/me', 'GET /users/me/**'] },

  async fetchProfile(ctx) {
    const user = ctx.json<ZoomUser & Record<string, unknown>>(await ctx.api('/users/me'));
    if (typeof user.id !== 'string' || user.id === '') {
      throw new AppError(ErrorCode.PROVIDER_ERROR, 'Zoom answered outside its documented shape.', { provider: ctx.providerId });
    }
    const fullName = [user.first_name, user.last_name].filter(Boolean).join(' ');
    return {
      provider: ctx.providerId,
      id: user.id,
      displayName: user.display_name || fullName || null,
      username: null,
      email: user.email ?? null,
      // `verified` (0/1) is not documented as the e-mail's verification: unknown.
      emailVerified: null,
      avatarUrl: user.pic_url ?? null,
      profileUrl: null,
      raw: user,
    };
  },
};
