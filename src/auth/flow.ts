import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { SealedStore } from '../store/store.js';
import type { Upstream } from '../upstream/upstream.js';
import { validateIdToken } from './id-token.js';
import { pkceChallenge, randomHandle } from './random.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ConnectionRecord, SessionRecord, StateRecord } from './records.js';
import type { Sessions } from './sessions.js';
import { requestTokens } from './token-endpoint.js';

export interface StartedAuth {
  provider: string;
  authorizationUrl: string;
  state: string;
  expiresAt: Date;
}

export interface CompletedAuth {
  sessionId: string;
  provider: string;
  scopes: string[];
  accessTokenExpiresAt?: number;
  sessionExpiresAt: number;
}

const stateKey = (state: string) => SealedStore.keyFor('state', state);

/** Authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636), knowing no provider by name. */
export class AuthFlow {
  constructor(
    private readonly store: SealedStore,
    private readonly registry: ProviderRegistry,
    private readonly sessions: Sessions,
    private readonly upstream: Upstream,
    private readonly limiter: RateLimiter,
    private readonly logger: Logger,
    private readonly stateTtlSeconds: number,
    private readonly metrics?: Metrics,
  ) {}

  async start(providerId: string, options: { scopes?: string[]; sessionId?: string }, client: string): Promise<StartedAuth> {
    const provider = this.registry.require(providerId);
    this.limiter.hit(client);
    if (options.sessionId !== undefined) await this.sessions.require(options.sessionId);
    const endpoints = await provider.endpoints();

    const state = randomHandle();
    const record: StateRecord = {
      provider: provider.id,
      codeVerifier: randomHandle(),
      nonce: provider.definition.protocol === 'OIDC' ? randomHandle() : undefined,
      sessionId: options.sessionId,
      redirectUri: provider.settings.redirectUri,
      scopes: options.scopes ?? provider.defaultScopes,
    };
    const expiresAt = new Date(Date.now() + this.stateTtlSeconds * 1000);
    await this.store.put(stateKey(state), record, this.stateTtlSeconds * 1000);

    const url = new URL(endpoints.authorizationUrl);
    const params: Record<string, string | undefined> = {
      ...provider.definition.authorizationParams,
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: record.redirectUri,
      scope: record.scopes.join(provider.definition.scopeSeparator ?? ' '),
      state,
      code_challenge: pkceChallenge(record.codeVerifier),
      code_challenge_method: 'S256',
      nonce: record.nonce,
    };
    // A detached URLSearchParams: one attached to the URL re-serializes the whole query on every set.
    const query = new URLSearchParams(url.search);
    for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
    url.search = query.toString();
    return { provider: provider.id, authorizationUrl: url.toString(), state, expiresAt };
  }

  /**
   * RFC 9207 §2.4: when the authorization server sends `iss` (or is known to), it must be its issuer,
   * and a server that advertises the parameter must send it; otherwise the response may come from
   * another server (mix-up attack), and its state is burned.
   */
  async checkIssuer(providerId: string, iss: string | undefined, state: string | undefined): Promise<void> {
    const endpoints = await this.registry.require(providerId).endpoints();
    const mismatch = iss === undefined ? endpoints.issRequired : endpoints.issOnCallback && iss !== endpoints.issuer;
    if (!mismatch) return;
    this.metrics?.stateRejections.inc({ reason: iss === undefined ? 'missing_iss' : 'issuer_mismatch' });
    if (state) await this.store.take(stateKey(state));
    throw new AppError(ErrorCode.INVALID_STATE, 'The authorization response came from an unexpected issuer.', { provider: providerId });
  }

  async complete(providerId: string, code: string, state: string): Promise<CompletedAuth> {
    const provider = this.registry.require(providerId);
    // Claimed atomically: of two concurrent completions with one state, one finds nothing.
    const record = await this.store.take<StateRecord>(stateKey(state));
    if (!record || record.provider !== provider.id) {
      this.metrics?.stateRejections.inc({ reason: record ? 'wrong_provider' : 'unknown' });
      throw new AppError(ErrorCode.INVALID_STATE, 'The state is unknown, expired, already used, or belongs to another provider.', {
        provider: providerId,
      });
    }
    const endpoints = await provider.endpoints();
    const tokens = await requestTokens(this.upstream, provider, endpoints.tokenUrl, endpoints.clientAuth, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: record.redirectUri,
      code_verifier: record.codeVerifier,
    });

    let idTokenClaims;
    if (provider.definition.protocol === 'OIDC') {
      if (!tokens.idToken) {
        throw new AppError(ErrorCode.INVALID_ID_TOKEN, `${provider.definition.name} sent no ID token.`, { provider: provider.id });
      }
      idTokenClaims = await validateIdToken(provider, tokens.idToken, record.nonce);
    }

    let sessionId: string;
    let session: SessionRecord;
    if (record.sessionId !== undefined) {
      sessionId = record.sessionId;
      session = await this.sessions.require(sessionId);
    } else {
      ({ sessionId, record: session } = await this.sessions.create());
    }
    const connection: ConnectionRecord = {
      provider: provider.id,
      scopes: tokens.scopes ?? record.scopes,
      connectedAt: Date.now(),
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessTokenExpiresAt: tokens.expiresIn !== undefined ? Date.now() + tokens.expiresIn * 1000 : undefined,
      sessionExpiresAt: session.expiresAt,
      idTokenClaims,
    };
    await this.sessions.saveConnection(sessionId, connection);
    this.logger.info({ provider: provider.id, linked: record.sessionId !== undefined }, 'connection established');
    return {
      sessionId,
      provider: provider.id,
      scopes: connection.scopes,
      accessTokenExpiresAt: connection.accessTokenExpiresAt,
      sessionExpiresAt: session.expiresAt,
    };
  }

  /**
   * The callback's `error=` answer (RFC 6749 §4.1.2.1): its state is claimed so it cannot be used
   * again. A server in trouble is PROVIDER_UNAVAILABLE; any other refusal is ACCESS_DENIED.
   */
  async fail(providerId: string, error: string, state: string | undefined): Promise<never> {
    if (state) await this.store.take(stateKey(state));
    if (error === 'server_error' || error === 'temporarily_unavailable') {
      throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'The provider could not process the authorization.', { provider: providerId });
    }
    throw new AppError(ErrorCode.ACCESS_DENIED, 'The authorization was refused.', { provider: providerId });
  }
}
