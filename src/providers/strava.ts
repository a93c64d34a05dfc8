import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { absoluteUrl, accountId, text } from './profile-fields.js';
import type { ProviderDefinition } from './types.js';

/** The fields of Strava's `/athlete` that the mapper reads (https://developers.strava.com/docs/reference/#api-Athletes-getLoggedInAthlete). */
interface StravaAthlete {
  id: number;
  username?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  profile?: string | null;
  profile_medium?: string | null;
}

/** Strava's error body: `{ message, errors: [{ resource, field, code }] }`. */
interface StravaError {
  errors?: Array<{ resource?: string; field?: string; code?: string }>;
}

/**
 * Strava OAuth. Scopes are comma-separated; client credentials go in the body; there is no PKCE; each refresh
 * may issue a new refresh token, and older ones stop working once it has. Errors are `{ message, errors }`,
 * not RFC 6749, so they are read here. Strava gives no e-mail address.
 * https://developers.strava.com/docs/authentication/
 */
export const strava: ProviderDefinition = {
  id: 'strava',
  name: 'Strava',
  protocol: 'OAUTH2',
  defaultScopes: ['read'],
  scopeSeparator: ',',
  clientAuth: 'client_secret_post',
  authorizationUrl: 'https://www.strava.com/oauth/authorize',
  tokenUrl: 'https://www.strava.com/oauth/token',
  apiUrl: 'https://www.strava.com/api/v3',
  revocationUrl: 'https://www.strava.com/oauth/deauthorize',
  authorizationParams: { approval_prompt: 'auto' },
  supportsRefresh: true,
  proxy: { allow: ['GET /athlete', 'GET /athlete/activities', 'GET /athlete/clubs', 'GET /athletes/*/stats', 'GET /activities/*'] },

  tokenEndpoint: {
    /** A refused code or refresh token names its field with code `invalid`; a bad client names client_id/secret. */
    errorCode(body) {
      if (typeof body.error === 'string') return body.error;
      const errors = (body as StravaError).errors;
      if (!Array.isArray(errors)) return undefined;
      const fields = errors.map((e) => e?.field);
      if (fields.includes('code') || fields.includes('refresh_token')) return 'invalid_grant';
      if (fields.includes('client_id') || fields.includes('client_secret')) return 'invalid_client';
      return undefined;
    },
  },

  async fetchProfile(ctx) {
    const athlete = ctx.json<StravaAthlete & Record<string, unknown>>(await ctx.api('/athlete'));
    const id = accountId(athlete.id, ctx.providerId);
    const name = [text(athlete.firstname), text(athlete.lastname)].filter(Boolean).join(' ');
    return {
      provider: ctx.providerId,
      id,
      displayName: name || null,
      username: text(athlete.username),
      email: null,
      emailVerified: null,
      // Without a photo Strava sends a relative placeholder path (avatar/athlete/large.png).
      avatarUrl: absoluteUrl(athlete.profile) ?? absoluteUrl(athlete.profile_medium),
      profileUrl: `https://www.strava.com/athletes/${id}`,
      raw: athlete,
    };
  },

  /** Deauthorization ends every token of the app for this athlete (https://developers.strava.com/docs/authentication/#deauthorization). */
  async revoke(ctx) {
    const response = await ctx.api(ctx.endpoints.revocationUrl ?? 'https://www.strava.com/oauth/deauthorize', { method: 'POST' });
    if (response.status !== 200) {
      throw new AppError(ErrorCode.PROVIDER_ERROR, `Strava refused the deauthorization (HTTP ${response.status}).`, {
        provider: ctx.providerId,
      });
    }
  },
};
