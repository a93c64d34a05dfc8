import type { Logger } from 'pino';
import { InProcessCoordination } from './coordination.js';
import { MemoryStore } from './memory-store.js';
import { SealedStore, type DecodedRecord, type RecordMap } from './store.js';
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
  const onRedis = Boolean(redisUrl) || (redisClusterNodes?.length ?? 0) > 0;
  if (onRedis) {
    const { keyv, coordination } = (await import('./redis-store.js')).openRedis({ redisUrl, redisClusterNodes, namespace, logger });
    keyv.on('error', (error: unknown) => logger.warn({ err: error }, 'store error'));
    return new SealedStore(keyv, keyring, coordination, 3000, options.onError);
  }
  const memory = new MemoryStore(memoryMaxEntries, undefined, undefined, options.memoryMaxPending);
  // Markers and locks share the map and its bound with the records; no key ring (see SealedStore).
  return new SealedStore(inProcess(memory), undefined, new InProcessCoordination(memory), 0, options.onError);
}

/**
 * The map itself, without keyv in between: it already keeps the expiry, and nothing else shares it.
 * A record is written as JSON text (what every store keeps: no reference to the writer's objects) and
 * decoded on its first read into a deeply frozen copy that replaces the text: a connection read on
 * every profile or proxy call is parsed once, not on each call, and no reader can change it.
 */
function inProcess(memory: MemoryStore): RecordMap {
  const read = (key: string): string | DecodedRecord | undefined => {
    const value = memory.get(key) as string | DecodedRecord | undefined;
    if (typeof value !== 'string') return value;
    const decoded: DecodedRecord = Object.freeze({ decoded: deepFreeze(JSON.parse(value)) });
    memory.replace(key, decoded);
    return decoded;
  };
  return {
    get: async (key) => read(key),
    getMany: async (keys) => keys.map(read),
    set: async (key, value, ttlMs) => memory.set(key, value, ttlMs),
    delete: async (key) => memory.delete(key),
    disconnect: async () => memory.disconnect(),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
