import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { oidcProfile } from './oidc.js';
import type { ClientAuthMethod, Profile, ProviderDefinition } from './types.js';

/** Profile fields a generic OAuth2 provider maps from its profile document, by path. */
export const PROFILE_FIELDS = ['id', 'displayName', 'username', 'email', 'emailVerified', 'avatarUrl', 'profileUrl'] as const;
export type ProfileMapping = { id: string } & Partial<Record<(typeof PROFILE_FIELDS)[number], string>>;

export interface GenericOidcSpec {
  id: string;
  name: string;
  issuer: string;
  scopes?: string[];
  clientAuth?: ClientAuthMethod;
  authorizationParams?: Record<string, string>;
  /** Base of the provider's API for `providerRequest` (`P_API_URL` overrides it). */
  apiUrl?: string;
  proxy?: ProviderDefinition['proxy'];
}

export interface GenericOAuth2Spec {
  id: string;
  name: string;
  authorizationUrl: string;
  tokenUrl: string;
  profileUrl: string;
  scopes: string[];
  clientAuth: ClientAuthMethod;
  profile: ProfileMapping;
  revocationUrl?: string;
  /** The `iss` the server sends on its callback (RFC 9207), when it does. */
  issuer?: string;
  authorizationParams?: Record<string, string>;
  /** Base of the provider's API for `providerRequest`; when set, `P_API_URL` overrides it instead of `profileUrl`. */
  apiUrl?: string;
  proxy?: ProviderDefinition['proxy'];
}

/** Any OpenID Connect issuer: endpoints from discovery, profile from the ID token and UserInfo. */
export function genericOidc(spec: GenericOidcSpec): ProviderDefinition {
  return {
    id: spec.id,
    name: spec.name,
    protocol: 'OIDC',
    defaultScopes: spec.scopes ?? ['openid', 'email', 'profile'],
    clientAuth: spec.clientAuth ?? 'client_secret_basic',
    issuer: spec.issuer,
    authorizationParams: spec.authorizationParams,
    apiUrl: spec.apiUrl,
    proxy: spec.proxy,
    supportsRefresh: true,
    fetchProfile: oidcProfile,
  };
}

/** A plain OAuth 2.0 server: fixed endpoints, a profile URL and a field mapping. */
export function genericOAuth2(spec: GenericOAuth2Spec): ProviderDefinition {
  return {
    id: spec.id,
    name: spec.name,
    protocol: 'OAUTH2',
    defaultScopes: spec.scopes,
    clientAuth: spec.clientAuth,
    authorizationUrl: spec.authorizationUrl,
    tokenUrl: spec.tokenUrl,
    apiUrl: spec.apiUrl ?? spec.profileUrl,
    proxy: spec.proxy,
    revocationUrl: spec.revocationUrl,
    issuer: spec.issuer,
    authorizationParams: spec.authorizationParams,
    supportsRefresh: true,
    async fetchProfile(ctx) {
      // The profile URL is the API base (so <ID>_API_URL overrides it like any other provider's).
      const raw = ctx.json<Record<string, unknown>>(
        await ctx.api(spec.apiUrl ? spec.profileUrl : (ctx.endpoints.apiUrl ?? spec.profileUrl)),
      );
      const pick = (field: (typeof PROFILE_FIELDS)[number]) => {
        const path = spec.profile[field];
        return path === undefined ? undefined : valueAt(raw, path);
      };
      const text = (field: (typeof PROFILE_FIELDS)[number]) => {
        const value = pick(field);
        return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
      };
      const id = text('id');
      if (id === null) {
        throw new AppError(ErrorCode.PROVIDER_ERROR, `${spec.name}'s profile has no user id at "${spec.profile.id}".`, {
          provider: ctx.providerId,
        });
      }
      const verified = pick('emailVerified');
      const profile: Profile = {
        provider: ctx.providerId,
        id,
        displayName: text('displayName'),
        username: text('username'),
        email: text('email'),
        emailVerified: typeof verified === 'boolean' ? verified : null,
        avatarUrl: text('avatarUrl'),
        profileUrl: text('profileUrl'),
        raw,
      };
      return profile;
    },
  };
}

/** Reads `a.b[0].c` (or `a.b.0.c`) from a JSON document. */
export function valueAt(document: unknown, path: string): unknown {
  let value = document;
  for (const part of path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
