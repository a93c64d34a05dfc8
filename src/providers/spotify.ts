import { accountId } from './profile-fields.js';
import type { ProviderDefinition } from './types.js';

/** The fields of Spotify's current-user document that the mapper reads. */
interface SpotifyUser {
  id: string;
  display_name?: string | null;
  email?: string;
  images?: Array<{ url: string; height?: number | null; width?: number | null }>;
  external_urls?: { spotify?: string };
}

/**
 * Spotify Web API. Client authentication is HTTP Basic at the token endpoint, and a refresh
 * response may omit `refresh_token` (the old one stays valid).
 * https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow
 */
export const spotify: ProviderDefinition = {
  id: 'spotify',
  name: 'Spotify',
  protocol: 'OAUTH2',
  defaultScopes: ['user-read-email', 'user-read-private'],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://accounts.spotify.com/authorize',
  tokenUrl: 'https://accounts.spotify.com/api/token',
  apiUrl: 'https://api.spotify.com/v1',
  supportsRefresh: true,
  // Read-only. The app token (client-credentials flow) reaches only endpoints without user data:
  // https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow
  proxy: {
    allow: [
      'GET /me/**',
      'GET /users/*/playlists',
      'GET /playlists/**',
      'GET /search',
      'GET /artists/**',
      'GET /albums/**',
      'GET /tracks/**',
      'GET /browse/**',
    ],
    appAllow: ['GET /search', 'GET /artists/**', 'GET /albums/**', 'GET /tracks/**', 'GET /browse/**'],
  },

  async fetchProfile(ctx) {
    const user = ctx.json<SpotifyUser & Record<string, unknown>>(await ctx.api('/me'));
    return {
      provider: ctx.providerId,
      id: accountId(user.id, ctx.providerId),
      displayName: user.display_name ?? null,
      username: user.id,
      email: user.email ?? null,
      // Spotify documents the e-mail as unverified.
      emailVerified: user.email ? false : null,
      avatarUrl: user.images?.[0]?.url ?? null,
      profileUrl: user.external_urls?.spotify ?? null,
      raw: user,
    };
  },
};
