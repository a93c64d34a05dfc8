import type { ConnectionRecord } from '../auth/records.js';
import { authenticateClient, encodeBody } from '../auth/token-endpoint.js';
import type { RuntimeProvider } from '../providers/registry.js';
import type { ProviderCallContext } from '../providers/types.js';
import { EtagCache } from './etag-cache.js';
import { apiError, parseJson, type Upstream, type UpstreamRequest, type UpstreamResponse } from './upstream.js';

/** One authorized call to a provider's resource API. */
export interface AuthorizedRequest {
  method: UpstreamRequest['method'];
  url: string;
  /** The caller's headers, already checked; the provider's fixed headers and the token go on top. */
  headers?: Record<string, string>;
  body?: string;
  /** Whether failures may be retried (GET only for caller-chosen requests). */
  idempotent: boolean;
  /** Epoch ms by which the call, retries included, is over (see UpstreamRequest). */
  deadline?: number;
}

/**
 * The calls the gateway makes to a provider on behalf of a connection or of the app: the profile
 * read, revocation, and `providerRequest` / `callProvider`. One place sets the provider's fixed API
 * headers and, last, `authorization`, so nothing a caller or a provider definition sends can replace
 * the token or carry it elsewhere. The HTTP itself is Upstream's (pool, timeouts, retries).
 */
export class ProviderClient {
  private readonly etags = new EtagCache();

  constructor(private readonly upstream: Upstream) {}

  /** A caller-shaped request with a bearer token (RFC 6750 §2.1): user's or app's. */
  send(provider: RuntimeProvider, accessToken: string, req: AuthorizedRequest): Promise<UpstreamResponse> {
    return this.upstream.send({
      provider: provider.id,
      method: req.method,
      url: req.url,
      headers: {
        accept: 'application/json',
        ...provider.definition.apiHeaders,
        ...req.headers,
        ...(req.body !== undefined && !req.headers?.['content-type'] && { 'content-type': 'application/json' }),
        authorization: `Bearer ${accessToken}`,
      },
      body: req.body,
      idempotent: req.idempotent,
      deadline: req.deadline,
    });
  }

  /**
   * The context a provider definition's `fetchProfile` and `revoke` work with. `cacheScope` (the
   * connection's store key) scopes the conditional-request copies of its GET answers: one session's
   * copy is never offered for another's request, and within a connection a copy is only served after
   * the provider has confirmed it (304) for the current token.
   */
  async forConnection(provider: RuntimeProvider, connection: ConnectionRecord, cacheScope?: string): Promise<ProviderCallContext> {
    const endpoints = await provider.endpoints();
    const apiHeaders = provider.definition.apiHeaders ?? {};
    return {
      providerId: provider.id,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      endpoints,
      accessToken: connection.accessToken,
      refreshToken: connection.refreshToken,
      idTokenClaims: connection.idTokenClaims,
      api: async (pathOrUrl, init = {}) => {
        const method = init.method ?? 'GET';
        const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${endpoints.apiUrl ?? ''}${pathOrUrl}`;
        const cacheKey = method === 'GET' && cacheScope ? `${cacheScope} ${url}` : undefined;
        const etag = cacheKey && this.etags.etag(cacheKey);
        const response = await this.upstream.send({
          provider: provider.id,
          method,
          url,
          headers: {
            accept: 'application/json',
            ...apiHeaders,
            authorization: `Bearer ${connection.accessToken}`,
            ...(etag && { 'if-none-match': etag }),
            // A definition's own call may authenticate otherwise (GitHub's grant deletion uses Basic).
            ...init.headers,
          },
          body: init.body,
          idempotent: true,
        });
        return cacheKey ? this.etags.settle(cacheKey, response) : response;
      },
      json: <T>(response: UpstreamResponse) => {
        if (response.status < 200 || response.status >= 300) throw apiError(response, provider.id);
        return parseJson<T>(response, provider.id) as T;
      },
    };
  }

  /** Revokes the grant upstream: the definition's own way, else RFC 7009 at the revocation endpoint. */
  async revoke(provider: RuntimeProvider, connection: ConnectionRecord): Promise<void> {
    const ctx = await this.forConnection(provider, connection);
    if (provider.definition.revoke) return provider.definition.revoke(ctx);
    if (ctx.endpoints.revocationUrl) await this.revokeRfc7009(provider, ctx.endpoints.revocationUrl, ctx.endpoints.clientAuth, connection);
  }

  /** RFC 7009 §2.1: revoking the refresh token revokes the grant. */
  private async revokeRfc7009(provider: RuntimeProvider, url: string, clientAuth: string, connection: ConnectionRecord): Promise<void> {
    const token = connection.refreshToken ?? connection.accessToken;
    const form = new URLSearchParams({ token, token_type_hint: connection.refreshToken ? 'refresh_token' : 'access_token' });
    const rules = provider.definition.tokenEndpoint ?? {};
    const headers: Record<string, string> = { ...rules.headers };
    await authenticateClient(provider, clientAuth, form, headers);
    const response = await this.upstream.send({
      provider: provider.id,
      method: 'POST',
      url,
      headers,
      body: encodeBody(rules, form, headers),
      idempotent: true,
    });
    // RFC 7009 §2.2 answers 200; some servers (Reddit) answer 204 No Content.
    if (response.status < 200 || response.status >= 300) throw apiError(response, provider.id);
  }
}
