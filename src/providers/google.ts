import { oidcProfile } from './oidc.js';
import type { ProviderDefinition } from './types.js';

/**
 * Google, through OpenID Connect discovery. A refresh token is only issued with
 * `access_type=offline`, and only on the consent screen, hence `prompt=consent`.
 * https://developers.google.com/identity/protocols/oauth2/web-server#offline
 */
export const google: ProviderDefinition = {
  id: 'google',
  name: 'Google',
  protocol: 'OIDC',
  defaultScopes: ['openid', 'email', 'profile'],
  clientAuth: 'client_secret_post',
  issuer: 'https://accounts.google.com',
  // Also in Google's discovery document; the default lets `providers` report revocation before discovery.
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  authorizationParams: { access_type: 'offline', prompt: 'consent' },
  supportsRefresh: true,
  // Google's APIs answer on several hosts; this base serves the OAuth2 userinfo documents
  // (https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation),
  // and `/people/...` is the People API's own host: the user's profile is `GET /people/v1/people/me`
  // with `personFields` (https://developers.google.com/people/api/rest/v1/people/get).
  apiUrl: 'https://www.googleapis.com',
  proxy: {
    allow: ['GET /oauth2/v3/userinfo', 'GET /oauth2/v2/userinfo', 'GET /userinfo/v2/me', 'GET /people/v1/people/me'],
    mounts: { people: 'https://people.googleapis.com' },
  },
  fetchProfile: oidcProfile,
};
