import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics.js';
import type { RuntimeProvider } from '../providers/registry.js';
import { SingleFlight } from '../single-flight.js';
import { SealedStore } from '../store/store.js';
import type { Upstream } from '../upstream/upstream.js';
import type { ConnectionRecord } from './records.js';
import { requestTokens } from './token-endpoint.js';

export const connectionKey = (sessionId: string, provider: string) => SealedStore.sessionKeyFor('conn', sessionId, provider);
const lockKey = (sessionId: string, provider: string) => SealedStore.sessionKeyFor('lock', sessionId, provider);
/** The fingerprint of the connection's current token pair: what a refresh compares-and-sets against. */
const pairKey = (sessionId: string, provider: string) => SealedStore.sessionKeyFor('pair', sessionId, provider);

/** A short hash of the pair's refresh token (or access token): identifies the pair, useless as a token. */
export function pairFingerprint(connection: ConnectionRecord): string {
  return createHash('sha256')
    .update(connection.refreshToken ?? connection.accessToken)
    .digest('base64url')
    .slice(0, 22);
}

/**
 * Refreshes access tokens so that nothing is lost to concurrency, across replicas too:
 * - within a process, concurrent readers share one refresh (single-flight);
 * - across processes, a lock per connection (owner token, expiry) lets one replica call the token
 *   endpoint while the others re-read the store until the new pair appears;
 * - the new pair is written by compare-and-set on the fingerprint of the pair it replaced, so a late
 *   or duplicate writer never overwrites a newer pair;
 * - `invalid_grant` is believed only after one more read (a replica may have rotated the pair), and a
 *   grant that is dead for good is forgotten.
 */
export class Refresher {
  private readonly inFlight = new SingleFlight<string, ConnectionRecord>();

  constructor(
    private readonly store: SealedStore,
    private readonly upstream: Upstream,
    private readonly logger: Logger,
    private readonly options: { refreshMarginSeconds: number; lockTtlMs: number },
    private readonly metrics?: Metrics,
  ) {}

  /**
   * The access token expires within the margin: refresh before use, not after a failure. The margin
   * is at most half the token's lifetime, so a token that lives less than the margin is not
   * refreshed on every read.
   */
  expiresSoon(connection: ConnectionRecord): boolean {
    const { accessTokenExpiresAt: expiresAt, accessTokenObtainedAt: obtainedAt } = connection;
    if (expiresAt === undefined) return false;
    let margin = this.options.refreshMarginSeconds * 1000;
    if (obtainedAt !== undefined) margin = Math.min(margin, (expiresAt - obtainedAt) / 2);
    return expiresAt - margin <= Date.now();
  }

  /**
   * Writes a new connection, and the fingerprint of its pair when it has a refresh token: without one
   * it is never refreshed (refreshNow forgets it instead), so no refresh compares against a marker.
   */
  async save(sessionId: string, connection: ConnectionRecord): Promise<void> {
    const ttl = connection.sessionExpiresAt - Date.now();
    await this.store.put(connectionKey(sessionId, connection.provider), connection, ttl);
    if (connection.refreshToken) {
      await this.store.putMarker(pairKey(sessionId, connection.provider), pairFingerprint(connection), ttl);
    } else {
      // A re-link replacing a pair that had one: with its marker gone, a refresh of the old pair still
      // in flight fails its compare-and-set instead of writing the old account over the new one.
      await this.store.deleteMarker(pairKey(sessionId, connection.provider));
    }
  }

  async forget(sessionId: string, provider: string): Promise<void> {
    await this.store.delete(connectionKey(sessionId, provider));
    await this.store.deleteMarker(pairKey(sessionId, provider));
  }

  /** A connection whose access token is newer than `seen`'s. */
  refresh(sessionId: string, provider: RuntimeProvider, seen: ConnectionRecord): Promise<ConnectionRecord> {
    const key = connectionKey(sessionId, provider.id);
    const { promise, joined } = this.inFlight.run(key, () => this.coordinated(sessionId, provider, seen));
    if (joined) this.metrics?.refreshes.inc({ provider: provider.id, result: 'coalesced' });
    return promise;
  }

  private async coordinated(sessionId: string, provider: RuntimeProvider, seen: ConnectionRecord): Promise<ConnectionRecord> {
    const lock = lockKey(sessionId, provider.id);
    const deadline = Date.now() + this.options.lockTtlMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
      const owner = await this.store.acquireLock(lock, this.options.lockTtlMs);
      if (owner) {
        try {
          const current = await this.current(sessionId, provider);
          return this.renewedSince(current, seen) ? current : await this.refreshNow(sessionId, provider, current);
        } finally {
          await this.store.releaseLock(lock, owner).catch(() => undefined);
        }
      }
      // Another replica is refreshing: wait for its pair rather than spend the refresh token again.
      await sleep(wait);
      const current = await this.current(sessionId, provider);
      if (this.renewedSince(current, seen)) {
        this.metrics?.refreshes.inc({ provider: provider.id, result: 'coalesced' });
        return current;
      }
      if (Date.now() > deadline) {
        throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `Renewing the ${provider.definition.name} token took too long; try again.`, {
          provider: provider.id,
        });
      }
    }
  }

  private renewedSince(current: ConnectionRecord, seen: ConnectionRecord): boolean {
    return current.accessToken !== seen.accessToken && !this.expiresSoon(current);
  }

  private async current(sessionId: string, provider: RuntimeProvider): Promise<ConnectionRecord> {
    const current = await this.store.get<ConnectionRecord>(connectionKey(sessionId, provider.id));
    if (!current) throw reauth(provider);
    return current;
  }

  private async refreshNow(sessionId: string, provider: RuntimeProvider, current: ConnectionRecord): Promise<ConnectionRecord> {
    if (!current.refreshToken || !provider.configured) {
      await this.forget(sessionId, provider.id);
      throw reauth(provider);
    }
    const endpoints = await provider.endpoints();
    let tokens;
    try {
      tokens = await requestTokens(this.upstream, provider, endpoints.tokenUrl, endpoints.clientAuth, {
        grant_type: 'refresh_token',
        refresh_token: current.refreshToken,
        redirect_uri: provider.definition.redirectUriOnRefresh ? provider.settings.redirectUri : undefined,
      });
    } catch (error) {
      this.metrics?.refreshes.inc({ provider: provider.id, result: 'failed' });
      if (!(error instanceof AppError) || error.code !== ErrorCode.REAUTH_REQUIRED) throw error;
      // A replica whose lock had expired may have rotated the pair meanwhile: read once more.
      const again = await this.store.get<ConnectionRecord>(connectionKey(sessionId, provider.id));
      if (again && again.refreshToken !== current.refreshToken) return again;
      // The grant is dead (revoked, or a refresh token past its lifetime): forget it.
      await this.forget(sessionId, provider.id);
      this.logger.info({ provider: provider.id }, 'refresh refused; connection forgotten');
      throw error;
    }
    const refreshed: ConnectionRecord = {
      ...current,
      accessToken: tokens.accessToken,
      // A refresh response may omit refresh_token: the old one stays valid (RFC 6749 §6).
      refreshToken: tokens.refreshToken ?? current.refreshToken,
      accessTokenExpiresAt: tokens.expiresIn !== undefined ? Date.now() + tokens.expiresIn * 1000 : undefined,
      accessTokenObtainedAt: Date.now(),
      scopes: tokens.scopes ?? current.scopes,
    };
    const ttl = current.sessionExpiresAt - Date.now();
    const swapped = await this.store.compareAndSetMarker(
      pairKey(sessionId, provider.id),
      pairFingerprint(current),
      pairFingerprint(refreshed),
      ttl,
    );
    if (!swapped) {
      // A newer pair was written while this refresh ran: it wins, and ours is dropped.
      this.logger.warn({ provider: provider.id }, 'refresh lost a race to a newer pair; keeping the newer one');
      return this.current(sessionId, provider);
    }
    await this.store.put(connectionKey(sessionId, provider.id), refreshed, ttl);
    this.metrics?.refreshes.inc({ provider: provider.id, result: 'succeeded' });
    this.logger.debug({ provider: provider.id }, 'access token refreshed');
    return refreshed;
  }
}

function reauth(provider: RuntimeProvider): AppError {
  return new AppError(ErrorCode.REAUTH_REQUIRED, `The ${provider.definition.name} connection must be made again.`, {
    provider: provider.id,
  });
}
