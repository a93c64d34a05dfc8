import { oidcProfile } from './oidc.js';
import type { ProviderDefinition } from './types.js';

/**
 * GitLab (gitlab.com, or a self-managed instance through `GITLAB_ISSUER`, relative root included) as an
 * OpenID Connect provider: discovery at `{issuer}/.well-known/openid-configuration`, the profile from the
 * ID token and `/oauth/userinfo` (`email_verified` is GitLab's own flag). Doorkeeper rules: a refresh is
 * single use (it invalidates the old access and refresh tokens), and it must repeat the `redirect_uri`.
 * https://docs.gitlab.com/api/oauth2/, https://docs.gitlab.com/integration/openid_connect_provider/
 */
export const gitlab: ProviderDefinition = {
  id: 'gitlab',
  name: 'GitLab',
  protocol: 'OIDC',
  // read_user: the REST API's /user, for calls through the proxy.
  defaultScopes: ['openid', 'profile', 'email', 'read_user'],
  // The documented form; GitLab's discovery also lists Basic.
  clientAuth: 'client_secret_post',
  issuer: 'https://gitlab.com',
  apiUrl: 'https://gitlab.com/api/v4',
  // Also in GitLab's discovery document; the default lets `providers` report revocation before discovery.
  revocationUrl: 'https://gitlab.com/oauth/revoke',
  redirectUriOnRefresh: true,
  supportsRefresh: true,
  proxy: { allow: ['GET /user', 'GET /user/emails', 'GET /user/keys', 'GET /user/gpg_keys', 'GET /user/status'] },
  fetchProfile: oidcProfile,
};
