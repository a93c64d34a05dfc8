import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { Config, ProviderSettings } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { parseJson, type Upstream } from '../upstream/upstream.js';
import type { ProviderDefinition, ResolvedEndpoints } from './types.js';

/** OpenID Provider metadata fields the gateway reads (OIDC Discovery 1.0 §3, RFC 9207 §3). */
interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

/** A provider definition joined with this deployment's settings. */
export class RuntimeProvider {
  private discovered?: Promise<ResolvedEndpoints>;
  /** The discovered endpoints once known, for the synchronous `supportsRevocation`. */
  private resolved?: ResolvedEndpoints;
  private keySet?: JWTVerifyGetKey;

  constructor(
    readonly definition: ProviderDefinition,
    readonly settings: ProviderSettings,
    private readonly upstream: Upstream,
  ) {}

  get id(): string {
    return this.definition.id;
  }
  get configured(): boolean {
    const minted = this.definition.mintedClientSecret;
    if (minted) return Boolean(this.settings.clientId) && minted.variables.every((n) => this.settings.secretVariables?.[n]);
    return Boolean(this.settings.clientId && this.settings.clientSecret);
  }
  get clientId(): string {
    return this.settings.clientId ?? '';
  }
  get clientSecret(): string {
    return this.settings.clientSecret ?? '';
  }
  /** The secret to authenticate with at the token and revocation endpoints: configured, or minted now. */
  async tokenEndpointSecret(): Promise<string> {
    const minted = this.definition.mintedClientSecret;
    if (!minted) return this.clientSecret;
    const { issuer } = await this.endpoints();
    return minted.mint({ clientId: this.clientId, audience: issuer ?? '', variables: this.settings.secretVariables ?? {} });
  }
  get defaultScopes(): string[] {
    return this.settings.scopes ?? this.definition.defaultScopes;
  }
  /** For an OIDC provider, true once discovery (started at boot) has found a revocation endpoint. */
  get supportsRevocation(): boolean {
    return Boolean(this.definition.revoke || this.settings.revocationUrl || this.definition.revocationUrl || this.resolved?.revocationUrl);
  }

  /** The endpoints once `endpoints()` has found them: what a flow reads without waiting on a promise. */
  get knownEndpoints(): ResolvedEndpoints | undefined {
    return this.resolved;
  }

  /** Endpoints after overrides; OIDC providers discover theirs once (a failed discovery is retried next time). */
  endpoints(): Promise<ResolvedEndpoints> {
    // Settings are frozen at boot, so an OAuth2 provider's endpoints are computed once.
    if (this.definition.protocol === 'OAUTH2')
      return (this.discovered ??= Promise.resolve().then(() => (this.resolved = this.staticEndpoints())));
    this.discovered ??= this.discover().then(
      (endpoints) => (this.resolved = endpoints),
      (error: unknown) => {
        this.discovered = undefined;
        throw error;
      },
    );
    return this.discovered;
  }

  /**
   * The provider's signing keys. An unknown `kid` refetches the set at once (no cooldown): ID tokens
   * only arrive from the token endpoint, so a caller cannot make the gateway refetch at will.
   */
  async jwks(): Promise<JWTVerifyGetKey> {
    const { jwksUri } = await this.endpoints();
    if (!jwksUri) throw new AppError(ErrorCode.PROVIDER_ERROR, `${this.id} publishes no signing keys.`, { provider: this.id });
    this.keySet ??= createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: 0,
      cacheMaxAge: 10 * 60_000,
      [customFetch]: this.upstream.fetch,
    });
    return this.keySet;
  }

  private staticEndpoints(): ResolvedEndpoints {
    const { definition: d, settings: s } = this;
    const authorizationUrl = s.authorizationUrl ?? d.authorizationUrl;
    const tokenUrl = s.tokenUrl ?? d.tokenUrl;
    if (!authorizationUrl || !tokenUrl) {
      throw new AppError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${this.id} has no authorization or token endpoint.`, { provider: this.id });
    }
    const issuer = s.issuer ?? d.issuer;
    return {
      authorizationUrl,
      tokenUrl,
      apiUrl: s.apiUrl ?? d.apiUrl,
      revocationUrl: s.revocationUrl ?? d.revocationUrl,
      issuer,
      // Known to send `iss` (GitHub): checked when present, as the server may not always add it.
      issOnCallback: issuer !== undefined,
      issRequired: false,
      clientAuth: d.clientAuth,
    };
  }

  /**
   * A multi-tenant endpoint (Entra `common`) publishes a template on the same host, whose tenant the
   * ID token's validation then fills in (see `tenantIssuer`); any other issuer must match exactly.
   */
  private issuerMatches(published: unknown, expected: string): boolean {
    if (published === expected) return true;
    const template = this.definition.tenantIssuer;
    if (!template || typeof published !== 'string' || !published.includes(template.placeholder)) return false;
    try {
      return new URL(published.replace(template.placeholder, 'tenant')).origin === new URL(expected).origin;
    } catch {
      return false;
    }
  }

  private async discover(): Promise<ResolvedEndpoints> {
    const issuer = (this.settings.issuer ?? this.definition.issuer)!;
    const response = await this.upstream.send({
      provider: this.id,
      method: 'GET',
      url: `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      headers: { accept: 'application/json' },
      idempotent: true,
    });
    const doc = parseJson<DiscoveryDocument>(response, this.id);
    // OIDC Discovery §4.3: the document must name the issuer it was fetched for (or, multi-tenant, its template).
    if (
      response.status !== 200 ||
      !this.issuerMatches(doc.issuer, issuer) ||
      !doc.authorization_endpoint ||
      !doc.token_endpoint ||
      !doc.jwks_uri
    ) {
      throw new AppError(ErrorCode.PROVIDER_ERROR, `${this.id} published unusable discovery metadata.`, { provider: this.id });
    }
    const supported = doc.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const clientAuth = supported.includes(this.definition.clientAuth)
      ? this.definition.clientAuth
      : supported.includes('client_secret_basic')
        ? 'client_secret_basic'
        : 'client_secret_post';
    const s = this.settings;
    return {
      authorizationUrl: s.authorizationUrl ?? doc.authorization_endpoint,
      tokenUrl: s.tokenUrl ?? doc.token_endpoint,
      apiUrl: s.apiUrl ?? this.definition.apiUrl,
      revocationUrl: s.revocationUrl ?? doc.revocation_endpoint ?? this.definition.revocationUrl,
      userinfoUrl: doc.userinfo_endpoint,
      jwksUri: doc.jwks_uri,
      issuer: doc.issuer,
      issOnCallback: doc.authorization_response_iss_parameter_supported === true,
      issRequired: doc.authorization_response_iss_parameter_supported === true,
      clientAuth,
    };
  }
}

/** Every provider this gateway knows, by id. */
export class ProviderRegistry {
  private readonly providers: Map<string, RuntimeProvider>;

  constructor(definitions: readonly ProviderDefinition[], config: Pick<Config, 'providers'>, upstream: Upstream) {
    this.providers = new Map(
      definitions.map((d) => [d.id, new RuntimeProvider(d, config.providers[d.id] ?? { redirectUri: '' }, upstream)]),
    );
  }

  list(): RuntimeProvider[] {
    return [...this.providers.values()];
  }

  /** Runs discovery of every configured OIDC provider now, so the first user does not wait for it. */
  async warmUp(onError: (provider: string, error: unknown) => void): Promise<void> {
    await Promise.all(
      this.list()
        .filter((p) => p.configured && p.definition.protocol === 'OIDC')
        .map((p) => p.endpoints().catch((error: unknown) => onError(p.id, error))),
    );
  }

  /** The provider with that id, ready for a flow: UNKNOWN_PROVIDER or PROVIDER_NOT_CONFIGURED otherwise. */
  require(id: string): RuntimeProvider {
    const provider = this.providers.get(id);
    if (!provider) throw new AppError(ErrorCode.UNKNOWN_PROVIDER, `There is no provider "${id}".`, { provider: id });
    if (!provider.configured) {
      throw new AppError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${provider.definition.name} is not configured on this gateway.`, {
        provider: id,
      });
    }
    return provider;
  }

  /** Like require, for records made earlier: a provider since unconfigured can still be read and disconnected. */
  known(id: string): RuntimeProvider | undefined {
    return this.providers.get(id);
  }
}
