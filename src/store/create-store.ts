import type { Logger } from 'pino';
import { InProcessCoordination } from './coordination.js';
import { MemoryStore } from './memory-store.js';
import { frozenJsonCopy } from './json-copy.js';
import { SealedStore, type LocalRecords } from './store.js';
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

/** A record in the in-process map. */
class Kept {
  constructor(readonly record: unknown) {}
}

/**
 * The map itself, without keyv in between: it already keeps the expiry, and nothing else shares it.
 * A record is kept as a deeply frozen copy of what JSON would keep (no reference to the writer's
 * objects, as in every store), made once on the write: a connection read on every profile or proxy
 * call is neither parsed nor copied on each call, and no reader can change it. Records are told apart
 * from the coordination's plain markers, which share the map.
 */
function inProcess(memory: MemoryStore): LocalRecords {
  return {
    local: true,
    keep: (key, value, ttlMs) => void memory.set(key, new Kept(frozenJsonCopy(value)), ttlMs),
    read: (key) => {
      const value = memory.get(key);
      return value instanceof Kept ? value.record : undefined;
    },
    remove: (key) => memory.delete(key),
    disconnect: () => memory.disconnect(),
  };
}
