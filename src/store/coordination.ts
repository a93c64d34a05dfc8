import type { RedisClientConnectionType } from '@keyv/redis';
import { MemoryStore } from './memory-store.js';

/**
 * The few atomic operations that keep replicas from stepping on each other: a lock with an owner
 * token (set-if-absent with expiry, released only by its owner) and a compare-and-set on a short
 * plain value. Keys are the store's (hashed) keys; values are never secrets.
 */
export interface Coordination {
  /** True when `owner` now holds the lock; it expires by itself after `ttlMs`. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only if `owner` still holds it (an expired lock may belong to someone else now). */
  release(key: string, owner: string): Promise<void>;
  /** Sets `key` to `next` only if it holds `expected`; true when it did. */
  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Adds one to the counter under the last key when the counters under all `keys` add up to less
   * than `limit`; true when it did. The last key then expires `ttlMs` after this write.
   */
  countWithin(keys: string[], limit: number, ttlMs: number): Promise<boolean>;
}

/**
 * One process: plain map operations are already atomic. The gateway gives it the store's own map, so
 * a connection's pair marker lives and is evicted beside the connection itself: a marker evicted
 * while its connection stays would make the next refresh's compare-and-set fail and its new pair be
 * dropped.
 */
export class InProcessCoordination implements Coordination {
  constructor(private readonly values: MemoryStore) {}

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.values.get(key) !== undefined) return false;
    this.values.set(key, owner, ttlMs);
    return true;
  }
  async release(key: string, owner: string): Promise<void> {
    if (this.values.get(key) === owner) this.values.delete(key);
  }
  async compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    if (this.values.get(key) !== expected) return false;
    this.values.set(key, next, ttlMs);
    return true;
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.values.set(key, value, ttlMs);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
  async countWithin(keys: string[], limit: number, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    let total = 0;
    let last = 0;
    for (let i = 0; i < keys.length; i++) {
      last = Number(this.values.get(keys[i]!, now) ?? 0);
      total += last;
    }
    if (total >= limit) return false;
    this.values.set(keys[keys.length - 1]!, String(last + 1), ttlMs);
    return true;
  }
}

// Compare-and-delete and compare-and-set, atomic on the Redis server.
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const COMPARE_AND_SET =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";

const COUNT_WITHIN = `local total = 0
for i = 1, #KEYS do total = total + (tonumber(redis.call('GET', KEYS[i])) or 0) end
if total >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[#KEYS])
redis.call('PEXPIRE', KEYS[#KEYS], ARGV[2])
return 1`;

/** Several replicas on one Redis (or a cluster: the keys carry the session's hash tag). */
export class RedisCoordination implements Coordination {
  constructor(
    private readonly client: () => Promise<RedisClientConnectionType>,
    private readonly prefix: string,
  ) {}

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const reply = await (
      await this.client()
    ).set(this.prefix + key, owner, { condition: 'NX', expiration: { type: 'PX', value: Math.ceil(ttlMs) } });
    return reply === 'OK';
  }
  async release(key: string, owner: string): Promise<void> {
    await (await this.client()).eval(RELEASE, { keys: [this.prefix + key], arguments: [owner] });
  }
  async compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    const reply = await (
      await this.client()
    ).eval(COMPARE_AND_SET, { keys: [this.prefix + key], arguments: [expected, next, String(Math.ceil(ttlMs))] });
    return reply === 1;
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await (await this.client()).set(this.prefix + key, value, { expiration: { type: 'PX', value: Math.ceil(ttlMs) } });
  }
  async delete(key: string): Promise<void> {
    await (await this.client()).del(this.prefix + key);
  }
  async countWithin(keys: string[], limit: number, ttlMs: number): Promise<boolean> {
    const reply = await (
      await this.client()
    ).eval(COUNT_WITHIN, { keys: keys.map((key) => this.prefix + key), arguments: [String(limit), String(Math.ceil(ttlMs))] });
    return reply === 1;
  }
}
