import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { ProviderRegistry, RuntimeProvider } from '../providers/registry.js';
import type { Profile } from '../providers/types.js';
import { SingleFlight } from '../single-flight.js';
import { SealedStore } from '../store/store.js';
import type { ProviderClient } from '../upstream/provider-client.js';
import { randomHandle } from './random.js';
import type { ConnectionRecord, SessionRecord } from './records.js';
import { connectionKey, type Refresher } from './refresh.js';

export interface SessionView {
  sessionId: string;
  expiresAt: number;
  connections: ConnectionRecord[];
}

const sessionKey = (sessionId: string) => SealedStore.sessionKeyFor('session', sessionId);

/**
 * Sessions and their connections: reading, refreshing, calling the provider's API, forgetting.
 * A session is a record with an expiry; each provider's connection is a record of its own, so that
 * refreshing one provider's tokens never races with linking another.
 */
export class Sessions {
  constructor(
    private readonly store: SealedStore,
    private readonly registry: ProviderRegistry,
    private readonly client: ProviderClient,
    private readonly logger: Logger,
    private readonly refresher: Refresher,
    private readonly options: { sessionTtlSeconds: number },
  ) {}

  /** Profile reads in flight, by connection key. */
  private readonly reading = new SingleFlight<string, Profile>();

  async create(): Promise<{ sessionId: string; record: SessionRecord }> {
    const sessionId = randomHandle();
    const now = Date.now();
    const record: SessionRecord = { createdAt: now, expiresAt: now + this.options.sessionTtlSeconds * 1000 };
    await this.store.put(sessionKey(sessionId), record, record.expiresAt - now);
    return { sessionId, record };
  }

  async require(sessionId: string): Promise<SessionRecord> {
    const record = await this.store.get<SessionRecord>(sessionKey(sessionId));
    if (!record || record.expiresAt <= Date.now()) {
      throw new AppError(ErrorCode.SESSION_NOT_FOUND, 'The session does not exist or has expired.');
    }
    return record;
  }

  /** A connection lives exactly as long as its session. */
  saveConnection(sessionId: string, connection: ConnectionRecord): Promise<void> {
    return this.refresher.save(sessionId, connection);
  }

  async view(sessionId: string): Promise<SessionView> {
    const session = await this.require(sessionId);
    const ids = this.registry.list().map((p) => p.id);
    const records = await this.store.getMany<ConnectionRecord>(ids.map((id) => connectionKey(sessionId, id)));
    return { sessionId, expiresAt: session.expiresAt, connections: records.filter((r): r is ConnectionRecord => r !== undefined) };
  }

  /** Identical concurrent reads of one connection's profile share one upstream call. */
  profile(sessionId: string, providerId: string): Promise<Profile> {
    const key = connectionKey(sessionId, providerId);
    return this.reading.run(key, () => this.readProfile(sessionId, providerId, key)).promise;
  }

  /** One store read on the hot path: a connection exists only while its session does. */
  private async readProfile(sessionId: string, providerId: string, key: string): Promise<Profile> {
    const provider = this.knownProvider(providerId);
    let connection = await this.connection(key, providerId);
    if (this.refresher.expiresSoon(connection)) connection = await this.refresher.refresh(sessionId, provider, connection);
    try {
      return checked(await provider.definition.fetchProfile(await this.client.forConnection(provider, connection, key)), providerId);
    } catch (error) {
      // A 401 on a token we believed valid: refresh once if we can, else the grant is gone.
      if (!(error instanceof AppError) || error.code !== ErrorCode.REAUTH_REQUIRED) throw error;
      if (!connection.refreshToken) {
        await this.refresher.forget(sessionId, providerId);
        throw error;
      }
      connection = await this.refresher.refresh(sessionId, provider, connection);
      return checked(await provider.definition.fetchProfile(await this.client.forConnection(provider, connection, key)), providerId);
    }
  }

  /**
   * A connection ready for an API call (refreshed first when its token expires within the margin),
   * with the provider and the store key it lives under. One store read, like the profile's.
   */
  async live(sessionId: string, providerId: string): Promise<{ provider: RuntimeProvider; connection: ConnectionRecord }> {
    const provider = this.knownProvider(providerId);
    let connection = await this.connection(connectionKey(sessionId, providerId), providerId);
    if (this.refresher.expiresSoon(connection)) connection = await this.refresher.refresh(sessionId, provider, connection);
    return { provider, connection };
  }

  /** Revokes upstream where the provider supports it (best effort, logged), then forgets the connection. */
  async disconnect(sessionId: string, providerId: string): Promise<void> {
    const provider = this.knownProvider(providerId);
    const connection = await this.connection(connectionKey(sessionId, providerId), providerId);
    await this.revoke(provider, connection);
    await this.refresher.forget(sessionId, providerId);
  }

  async end(sessionId: string): Promise<void> {
    const view = await this.view(sessionId);
    for (const connection of view.connections) {
      const provider = this.registry.known(connection.provider);
      if (provider) await this.revoke(provider, connection);
      await this.refresher.forget(sessionId, connection.provider);
    }
    await this.store.delete(sessionKey(sessionId));
  }

  private knownProvider(providerId: string): RuntimeProvider {
    const provider = this.registry.known(providerId);
    if (!provider) throw new AppError(ErrorCode.UNKNOWN_PROVIDER, `There is no provider "${providerId}".`, { provider: providerId });
    return provider;
  }

  /** `key` is the connection's store key (`connectionKey`), which callers on the hot path already hold. */
  private async connection(key: string, providerId: string): Promise<ConnectionRecord> {
    const connection = await this.store.get<ConnectionRecord>(key);
    if (!connection || connection.sessionExpiresAt <= Date.now()) {
      throw new AppError(ErrorCode.SESSION_NOT_FOUND, `The session has no ${providerId} connection.`, { provider: providerId });
    }
    return connection;
  }

  private async revoke(provider: RuntimeProvider, connection: ConnectionRecord): Promise<void> {
    if (!provider.configured) return;
    try {
      await this.client.revoke(provider, connection);
    } catch (error) {
      // The local record goes regardless: a user who disconnects must be disconnected here.
      this.logger.warn(
        { provider: provider.id, err: error instanceof AppError ? error.message : String(error) },
        'upstream revocation failed',
      );
    }
  }
}

/** A mapped profile without an account id came from an answer outside the provider's shape. */
function checked(profile: Profile, providerId: string): Profile {
  if (typeof profile.id !== 'string' || profile.id === '' || profile.id === 'undefined') {
    throw new AppError(ErrorCode.PROVIDER_ERROR, `${providerId} sent a profile without an account id.`, { provider: providerId });
  }
  return profile;
}
