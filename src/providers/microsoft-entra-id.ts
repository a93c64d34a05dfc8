import { oidcProfile } from './oidc.js';
import type { ProviderDefinition } from './types.js';

/** The tenant of personal Microsoft accounts (outlook.com, live.com), as it appears in `tid`. */
const CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

/**
 * Microsoft Entra ID (v2.0 endpoints), through OpenID Connect discovery. `common` and
 * `organizations` publish the issuer template `https://login.microsoftonline.com/{tenantid}/v2.0`,
 * so each ID token's `iss` is checked against its own `tid`; a single-tenant deployment sets
 * `MICROSOFT_ENTRA_ID_ISSUER` to `https://login.microsoftonline.com/<tenant>/v2.0`.
 * A refresh returns a new refresh token and leaves the old one valid (the gateway keeps the new one).
 * There is no RFC 7009 revocation endpoint.
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
 * https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
 */
export const microsoftEntraId: ProviderDefinition = {
  id: 'microsoft-entra-id',
  name: 'Microsoft Entra ID',
  protocol: 'OIDC',
  // offline_access is what makes Entra issue a refresh token; User.Read lets userinfo and /me answer.
  defaultScopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read'],
  clientAuth: 'client_secret_post',
  issuer: 'https://login.microsoftonline.com/common/v2.0',
  apiUrl: 'https://graph.microsoft.com/v1.0',
  tenantIssuer: {
    placeholder: '{tenantid}',
    claim: 'tid',
    acceptTenant(tenant, configuredIssuer) {
      const segment = new URL(configuredIssuer).pathname.split('/')[1]?.toLowerCase();
      if (segment === 'organizations') return tenant !== CONSUMER_TENANT;
      if (segment === 'consumers') return tenant === CONSUMER_TENANT;
      return true;
    },
  },
  supportsRefresh: true,
  proxy: { allow: ['GET /me', 'GET /me/**'] },

  async fetchProfile(ctx) {
    const profile = await oidcProfile(ctx);
    const raw = profile.raw;
    // Entra's `email` "isn't guaranteed to be correct" and is never verified; only the optional claim
    // `xms_edov` (the domain owner verified it) says otherwise. Trusting it is the nOAuth takeover.
    // https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
    const emailVerified = profile.email ? raw.xms_edov === true : null;
    return {
      ...profile,
      emailVerified,
      // userinfo's `picture` is a Graph photo URL that answers only with the user's token: no avatar to show.
      avatarUrl: null,
    };
  },
};
