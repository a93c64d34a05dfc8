import { oidcProfile } from './oidc.js';
import type { ProviderDefinition } from './types.js';

/**
 * Sign In with LinkedIn using OpenID Connect. The issuer is `https://www.linkedin.com/oauth` (it moved
 * there in 2024; taken from discovery, never hard-coded elsewhere). Client credentials go in the body only;
 * PKCE is for native apps LinkedIn enables on request, so a web app's challenge is ignored. Sign-in apps get
 * no refresh token (access tokens last 60 days). A refused consent is `user_cancelled_login` or
 * `user_cancelled_authorize`, not `access_denied`.
 * https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
 */
export const linkedin: ProviderDefinition = {
  id: 'linkedin',
  name: 'LinkedIn',
  protocol: 'OIDC',
  defaultScopes: ['openid', 'profile', 'email'],
  clientAuth: 'client_secret_post',
  issuer: 'https://www.linkedin.com/oauth',
  apiUrl: 'https://api.linkedin.com',
  supportsRefresh: false,
  proxy: { allow: ['GET /v2/userinfo'] },
  fetchProfile: oidcProfile,
};
