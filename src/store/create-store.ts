import { Keyv } from 'keyv';
import KeyvRedis, { createCluster } from '@keyv/redis';
import type { Logger } from 'pino';
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
  /** Size bound of the in-process store (default 500 000 entries). */
  memoryMaxEntries?: number;
}

/** Redis when configured (one server or a cluster), otherwise an in-process map. */
export function createStore(options: StoreOptions): SealedStore {
  const { redisUrl, redisClusterNodes, namespace, keyring, logger, memoryMaxEntries = 500_000 } = options;
  let keyv: Keyv<string>;
  if (redisClusterNodes && redisClusterNodes.length > 0) {
    const cluster = createCluster({
      rootNodes: redisClusterNodes.map((node) => ({ url: `redis://${node}`, socket: { connectTimeout: 2000 } })),
    });
    keyv = new Keyv<string>({ store: redisAdapter(new KeyvRedis(cluster, redisOptions())), namespace, ...redisKeyv });
  } else if (redisUrl) {
    keyv = new Keyv<string>({
      store: redisAdapter(new KeyvRedis({ url: redisUrl, socket: { connectTimeout: 2000 } }, redisOptions())),
      namespace,
      ...redisKeyv,
    });
  } else {
    // Values are already sealed strings and stay in this process: no serialization round trip.
    keyv = new Keyv<string>({ store: new MemoryStore(memoryMaxEntries), namespace, serialize: undefined, deserialize: undefined });
  }
  keyv.on('error', (error: unknown) => logger.warn({ err: error }, 'store error'));
  const inProcess = !redisUrl && !(redisClusterNodes && redisClusterNodes.length > 0);
  return new SealedStore(keyv, keyring, inProcess ? 0 : 3000);

  function redisAdapter(adapter: KeyvRedis<string>): KeyvRedis<string> {
    adapter.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
    return adapter;
  }
}

/**
 * Keyv swallows its adapter's errors unless told otherwise; and the adapter prefixes keys with the
 * namespace itself, so Keyv must not add it a second time.
 */
const redisKeyv = { throwOnErrors: true, useKeyPrefix: false } as const;

function redisOptions() {
  // Fail instead of answering "not found" when Redis is down: a missing session and an unreachable
  // store are different errors for the client. (The connect timeout is the socket's: the adapter's
  // own `connectionTimeout` leaves a timer running after every connect.)
  return { throwOnErrors: true, throwOnConnectError: true };
}
