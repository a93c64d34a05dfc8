import { Keyv } from 'keyv';
import KeyvRedis, { createCluster } from '@keyv/redis';
import type { Logger } from 'pino';
import { InProcessCoordination, RedisCoordination, type Coordination } from './coordination.js';
import { MemoryStore } from './memory-store.js';
import { SealedStore } from './store.js';
import type { Keyring } from './keyring.js';

export interface StoreOptions {
  redisUrl?: string;
  redisClusterNodes?: string[];
  /** Prefix of every key, so several gateways (or test runs) can share one Redis. */
  namespace: string;
  keyring: Keyring;
  logger: Logger;
  /** Called on every failed or timed-out store operation (metrics). */
  onError?: () => void;
  /** Size bound of the in-process store (default 500 000 entries). */
  memoryMaxEntries?: number;
}

/** Redis when configured (one server or a cluster), otherwise an in-process map. */
export function createStore(options: StoreOptions): SealedStore {
  const { redisUrl, redisClusterNodes, namespace, keyring, logger, memoryMaxEntries = 500_000 } = options;
  let keyv: Keyv<string>;
  let coordination: Coordination;
  if (redisUrl || (redisClusterNodes && redisClusterNodes.length > 0)) {
    const connection =
      redisClusterNodes && redisClusterNodes.length > 0
        ? createCluster({
            rootNodes: redisClusterNodes.map((node) => ({ url: `redis://${node}`, socket: { connectTimeout: 2000 } })),
            defaults: { disableOfflineQueue: true },
          })
        : { url: redisUrl, socket: { connectTimeout: 2000 }, disableOfflineQueue: true };
    const adapter = redisAdapter(new GatewayRedis(connection, redisOptions()));
    keyv = new Keyv<string>({ store: adapter, namespace, ...redisKeyv });
    // Same client and the adapter's key prefix (`namespace::key`), so all of a session's keys share a slot.
    coordination = new RedisCoordination(() => adapter.getClient(), `${namespace}${adapter.keyPrefixSeparator}`);
  } else {
    const memory = new MemoryStore(memoryMaxEntries);
    // Markers and locks share the map and its bound with the records.
    coordination = new InProcessCoordination(memory);
    keyv = new Keyv<string>({ store: memory, ...inProcessKeyv });
  }
  keyv.on('error', (error: unknown) => logger.warn({ err: error }, 'store error'));
  const inProcess = !redisUrl && !(redisClusterNodes && redisClusterNodes.length > 0);
  return new SealedStore(keyv, keyring, coordination, inProcess ? 0 : 3000, options.onError);

  function redisAdapter(adapter: KeyvRedis<string>): KeyvRedis<string> {
    adapter.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
    return adapter;
  }
}

/**
 * The map holds each sealed string as it is, under the gateway's own key: the map already keeps the
 * expiry, so keyv's `{ value, expires }` wrapper would only add an object per entry, and nothing else
 * shares the map, so a namespace prefix would only add a string per key (100 000 sessions are three
 * entries each). The records, markers and locks have distinct kinds (`conn:`, `pair:`, `lock:`…).
 */
const inProcessKeyv = {
  useKeyPrefix: false,
  serialize: <Value>(data: { value?: Value }) => String(data.value),
  // The map only ever holds the sealed strings that SealedStore writes.
  deserialize: <Value>(value: string) => ({ value: value as Value }),
};

/**
 * Keyv swallows its adapter's errors unless told otherwise; and the adapter prefixes keys with the
 * namespace itself, so Keyv must not add it a second time.
 */
const redisKeyv = { throwOnErrors: true, useKeyPrefix: false } as const;

/**
 * Commands fail at once while Redis is unreachable (`disableOfflineQueue` above) instead of waiting
 * in a queue, which would hold every request for the full timeout and replay writes whose callers
 * were already told they failed. Closing destroys a client that is not connected: a graceful QUIT
 * would wait for a server that is not there.
 */
class GatewayRedis extends KeyvRedis<string> {
  override async disconnect(force?: boolean): Promise<void> {
    const ready = (this.client as { isReady?: boolean }).isReady !== false;
    await super.disconnect(force ?? !ready);
  }
}

function redisOptions() {
  // Fail instead of answering "not found" when Redis is down: a missing session and an unreachable
  // store are different errors for the client. (The connect timeout is the socket's: the adapter's
  // own `connectionTimeout` leaves a timer running after every connect.)
  return { throwOnErrors: true, throwOnConnectError: true };
}
