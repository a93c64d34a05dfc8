import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { requestTokens } from '../auth/token-endpoint.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics.js';
import type { RuntimeProvider } from '../providers/registry.js';
import { SingleFlight } from '../single-flight.js';
import { SealedStore } from '../store/store.js';
import type { Upstream } from '../upstream/upstream.js';

/** Lifetime assumed when the token response has no `expires_in`: short, so a wrong guess costs little. */
export const DEFAULT_APP_TOKEN_SECONDS = 300;

interface AppTokenRecord {
  accessToken: string;
  /** Epoch ms after which the token is fetched again (shortly before it expires). */
  renewAt: number;
}

// Keyed by provider and client id, so a changed client id never reuses the old client's token.
const tokenKey = (provider: RuntimeProvider) => SealedStore.keyFor('app', `${provider.id} ${provider.clientId}`);
const lockKey = (provider: RuntimeProvider) => SealedStore.keyFor('applock', `${provider.id} ${provider.clientId}`);

/**
 * The margin before expiry at which the token is renewed: 10 % of its life, at least 60 s, and never
 * more than half of it (servers that hand out the same token until it expires need the early margin).
 */
export function renewMarginMs(lifetimeMs: number): number {
  return Math.min(Math.max(60_000, lifetimeMs / 10), lifetimeMs / 2);
}

/**
 * The gateway's own access tokens (client-credentials grant, RFC 6749 §4.4), one per provider:
 * sealed in the store until shortly before they expire, fetched once across replicas — in a process
 * one promise per provider, across processes the store's lock (as refresh uses), whose loser waits
 * for the winner's token instead of asking for another.
 */
export class AppTokens {
  private readonly inFlight = new SingleFlight<string, string>();

  constructor(
    private readonly store: SealedStore,
    private readonly upstream: Upstream,
    private readonly logger: Logger,
    private readonly options: { lockTtlMs: number },
    private readonly metrics?: Metrics,
  ) {}

  /** A valid app token for the provider. */
  async token(provider: RuntimeProvider): Promise<string> {
    const cached = await this.store.get<AppTokenRecord>(tokenKey(provider));
    if (cached && cached.renewAt > Date.now()) return cached.accessToken;
    return this.inFlight.run(provider.id, () => this.coordinated(provider)).promise;
  }

  /** The provider refused `used` (401): drop it unless another call already replaced it. */
  async discard(provider: RuntimeProvider, used: string): Promise<void> {
    const cached = await this.store.get<AppTokenRecord>(tokenKey(provider));
    if (cached?.accessToken === used) await this.store.delete(tokenKey(provider));
  }

  private async coordinated(provider: RuntimeProvider): Promise<string> {
    const deadline = Date.now() + this.options.lockTtlMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
      const owner = await this.store.acquireLock(lockKey(provider), this.options.lockTtlMs);
      if (owner) {
        try {
          const cached = await this.store.get<AppTokenRecord>(tokenKey(provider));
          if (cached && cached.renewAt > Date.now()) return cached.accessToken;
          return await this.fetch(provider);
        } finally {
          await this.store.releaseLock(lockKey(provider), owner).catch(() => undefined);
        }
      }
      // Another replica is fetching: wait for its token rather than ask the provider for one more.
      await sleep(wait);
      const cached = await this.store.get<AppTokenRecord>(tokenKey(provider));
      if (cached && cached.renewAt > Date.now()) return cached.accessToken;
      if (Date.now() > deadline) {
        throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `Getting the ${provider.definition.name} app token took too long; try again.`, {
          provider: provider.id,
        });
      }
    }
  }

  private async fetch(provider: RuntimeProvider): Promise<string> {
    const endpoints = await provider.endpoints();
    let tokens;
    try {
      tokens = await requestTokens(this.upstream, provider, endpoints.tokenUrl, endpoints.clientAuth, { grant_type: 'client_credentials' });
    } catch (error) {
      this.metrics?.appTokens.inc({ provider: provider.id, result: 'failed' });
      throw error;
    }
    const lifetimeMs = (tokens.expiresIn ?? DEFAULT_APP_TOKEN_SECONDS) * 1000;
    const record: AppTokenRecord = { accessToken: tokens.accessToken, renewAt: Date.now() + lifetimeMs - renewMarginMs(lifetimeMs) };
    // A refresh_token in the answer is ignored (RFC 6749 §4.4.3: it should not be issued).
    await this.store.put(tokenKey(provider), record, record.renewAt - Date.now());
    this.metrics?.appTokens.inc({ provider: provider.id, result: 'fetched' });
    this.logger.debug({ provider: provider.id }, 'app token fetched');
    return tokens.accessToken;
  }
}
