import { Keyv } from 'keyv';
import type { Logger } from 'pino';
import { InProcessCoordination, type Coordination } from './coordination.js';
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
  /** Size bound of the in-process pool of pending states, apart from the rest (default: memoryMaxEntries). */
  memoryMaxPending?: number;
}

/** Redis when configured (one server or a cluster), otherwise an in-process map. */
export async function createStore(options: StoreOptions): Promise<SealedStore> {
  const { redisUrl, redisClusterNodes, namespace, keyring, logger, memoryMaxEntries = 500_000 } = options;
  let keyv: Keyv<string>;
  let coordination: Coordination;
  const onRedis = Boolean(redisUrl) || (redisClusterNodes?.length ?? 0) > 0;
  if (onRedis) {
    ({ keyv, coordination } = (await import('./redis-store.js')).openRedis({ redisUrl, redisClusterNodes, namespace, logger }));
  } else {
    const memory = new MemoryStore(memoryMaxEntries, undefined, undefined, options.memoryMaxPending);
    // Markers and locks share the map and its bound with the records.
    coordination = new InProcessCoordination(memory);
    keyv = new Keyv<string>({ store: memory, ...inProcessKeyv });
  }
  keyv.on('error', (error: unknown) => logger.warn({ err: error }, 'store error'));
  return new SealedStore(keyv, keyring, coordination, onRedis ? 3000 : 0, options.onError);
}

/**
 * The map holds each sealed string as it is, under the gateway's own key: the map already keeps the
 * expiry, so keyv's `{ value, expires }` wrapper would only add an object per entry, and nothing else
 * shares the map, so a namespace prefix would only add a string per key (a session is two or three
 * entries). The records, markers and locks have distinct kinds (`conn:`, `pair:`, `lock:`…).
 */
const inProcessKeyv = {
  useKeyPrefix: false,
  serialize: <Value>(data: { value?: Value }) => String(data.value),
  // The map only ever holds the sealed strings that SealedStore writes.
  deserialize: <Value>(value: string) => ({ value: value as Value }),
};
