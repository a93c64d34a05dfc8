import type { JWTPayload } from 'jose';
import type { UpstreamResponse } from '../upstream/upstream.js';

export type ProviderProtocol = 'OAUTH2' | 'OIDC';

/** RFC 6749 §2.3.1 client authentication at the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** A token endpoint's departures from RFC 6749 §4.1.3 / §5, declared by the provider that has them. */
export interface TokenEndpointRules {
  /** Request body encoding: RFC 6749's urlencoded form (default), or JSON (Notion). Revocation requests follow it. */
  body?: 'form' | 'json';
  /** Headers every token and revocation request needs (Reddit limits requests without a descriptive User-Agent). */
  headers?: Readonly<Record<string, string>>;
  /**
   * The error code of a token answer, whatever its HTTP status, or undefined when it reports none.
   * Default: RFC 6749 §5.2's `error` field. Slack reports `{ok:false,error}` in HTTP 200; Notion
   * `{object:"error",code}`; Strava `{message,errors:[...]}`.
   */
  errorCode?(body: Readonly<Record<string, unknown>>, status: number): string | undefined;
  /** Error codes that, answering a refresh, mean the grant is dead, beyond RFC 6749's `invalid_grant` (X's `invalid_request`). */
  deadGrantErrors?: readonly string[];
}

/** Normalized profile, as served by `profile(provider, sessionId)`. */
export interface Profile {
  provider: string;
  id: string;
  displayName?: string | null;
  username?: string | null;
  email?: string | null;
  emailVerified?: boolean | null;
  avatarUrl?: string | null;
  profileUrl?: string | null;
  raw: Record<string, unknown>;
}

/** The endpoints of a provider once configuration overrides and OIDC discovery are applied. */
export interface ResolvedEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  apiUrl?: string;
  revocationUrl?: string;
  userinfoUrl?: string;
  jwksUri?: string;
  /** The issuer: ID tokens' `iss` and, when `issOnCallback`, the callback's `iss` (RFC 9207). */
  issuer?: string;
  /** The server is known to send `iss` on its authorization responses: a different one is a mix-up attack. */
  issOnCallback: boolean;
  /** The server advertises `iss` (RFC 9207 §3), so a response without it is refused as well (§2.4). */
  issRequired: boolean;
  clientAuth: ClientAuthMethod;
}

/** What a provider's profile and revocation functions get to work with. */
export interface ProviderCallContext {
  providerId: string;
  clientId: string;
  clientSecret: string;
  endpoints: ResolvedEndpoints;
  accessToken: string;
  refreshToken?: string;
  /** The validated ID token's claims (OIDC providers). */
  idTokenClaims?: JWTPayload;
  /** Calls the provider's API with the access token and the provider's own API headers. */
  api(
    pathOrUrl: string,
    init?: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; body?: string },
  ): Promise<UpstreamResponse>;
  /** Parses a 2xx JSON answer, or throws the error code that the status means. */
  json<T>(response: UpstreamResponse): T;
}

/**
 * A provider, declared as data plus a profile mapper. The flow code reads these fields and never
 * asks which provider it is talking to: a quirk belongs here, not in `auth/`.
 */
export interface ProviderDefinition {
  /** Lowercase `[a-z0-9-]`; also the prefix of the provider's variables (`GITHUB_CLIENT_ID`). */
  id: string;
  name: string;
  protocol: ProviderProtocol;
  defaultScopes: string[];
  clientAuth: ClientAuthMethod;
  /** Default endpoints (OIDC providers discover theirs from `issuer`). */
  authorizationUrl?: string;
  tokenUrl?: string;
  apiUrl?: string;
  revocationUrl?: string;
  /** OIDC: the issuer to discover. OAuth2: the `iss` the server is known to send on its callback. */
  issuer?: string;
  /** Extra authorization request parameters (Google's `access_type=offline`). */
  authorizationParams?: Record<string, string>;
  /** Headers every API call needs (GitHub rejects requests without a User-Agent). */
  apiHeaders?: Record<string, string>;
  /** What joins requested scopes in the authorization request: RFC 6749 §3.3 says a space; Strava wants commas. */
  scopeSeparator?: string;
  /** The server requires the registered `redirect_uri` on refresh requests too (GitLab, Doorkeeper). */
  redirectUriOnRefresh?: boolean;
  supportsRefresh: boolean;
  /**
   * Provider API calls through `providerRequest` / `callProvider` (default deny). Each rule is
   * `METHOD /pattern`, where `*` matches one path segment and `**` any number of them: `GET /user/**`.
   * `allow` is for a user's connection; `appAllow` for the gateway's own client-credentials token.
   * `P_PROXY_ALLOW` / `P_PROXY_APP_ALLOW` replace them per deployment. `mounts` serves other API
   * bases under a first path segment of their own: with `{ people: 'https://people.googleapis.com' }`,
   * `/people/v1/people/me` is `https://people.googleapis.com/v1/people/me` (rules match the caller's
   * path, mount included); `P_<NAME>_API_URL` replaces a mount's base (`GOOGLE_PEOPLE_API_URL`).
   */
  proxy?: { allow: readonly string[]; appAllow?: readonly string[]; mounts?: Readonly<Record<string, string>> };
  /** How this provider's token endpoint differs from RFC 6749's (body encoding, headers, error shape). */
  tokenEndpoint?: TokenEndpointRules;
  /**
   * `form_post` (OAuth 2.0 Form Post Response Mode): the provider answers the authorization with a
   * cross-site POST of an urlencoded form to the callback (Apple, whenever a scope is asked), which the
   * gateway then accepts on `POST /callback/:provider`; other providers' callbacks are GET only.
   */
  responseMode?: 'query' | 'form_post';
  /**
   * A multi-tenant issuer (Entra's `common` / `organizations`): discovery publishes an issuer template
   * holding `placeholder`, and an ID token's `iss` must equal that template with the token's own
   * `claim` (Entra's `tid`) in place, so the check is made per token rather than skipped.
   */
  tenantIssuer?: {
    placeholder: string;
    claim: string;
    /** Whether a token's tenant may sign in through the configured issuer (`organizations` refuses the consumer tenant). */
    acceptTenant(tenant: string, configuredIssuer: string): boolean;
  };
  /**
   * A client secret minted for each request instead of `<ID>_CLIENT_SECRET` (Apple's ES256 JWT).
   * `variables` are read as `<ID>_<NAME>`; the provider is configured once they and the client id are set.
   */
  mintedClientSecret?: {
    variables: readonly string[];
    /** Problems with the variables' values, one line each, reported at boot. */
    problems(variables: Readonly<Record<string, string>>): string[];
    /** `audience` is the provider's issuer, which the secret is addressed to. */
    mint(input: { clientId: string; audience: string; variables: Readonly<Record<string, string>> }): Promise<string>;
  };
  /** Revocation other than RFC 7009 at `revocationUrl` (GitHub's grant deletion API). */
  revoke?(ctx: ProviderCallContext): Promise<void>;
  fetchProfile(ctx: ProviderCallContext): Promise<Profile>;
}
