import { measureMemory } from 'node:vm';

/** A sweep that drops at least this many entries (several megabytes) hands the memory back. */
const RECLAIM_AFTER_ENTRIES = 10_000;

/**
 * Starts two full garbage collections now. Entries a sweep drops are old-generation garbage, which
 * V8 frees only at its next major collection: a gateway that goes quiet after a burst of abandoned
 * states would otherwise keep their memory indefinitely. The first collection frees the entries,
 * the second returns the pages the first emptied. `measureMemory` in eager mode is Node's public way
 * to start one (incremental marking, so pauses stay short); its result is not needed. Node prints an
 * ExperimentalWarning the first time it is called.
 */
function collectGarbage(): void {
  const eager = () => measureMemory({ execution: 'eager' });
  eager()
    .then(eager)
    .catch(() => undefined);
}

/**
 * The in-process store behind keyv when there is no Redis: a Map whose entries expire on their own.
 * A plain Map only drops an expired entry when it is read, so abandoned states would pile up; here a
 * sweep removes them, and a size bound evicts the oldest entries first, so anonymous callers cannot
 * grow the process without limit. After a sweep that dropped many entries, their memory goes back
 * to the system.
 */
export class MemoryStore {
  private readonly values = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxEntries: number,
    sweepIntervalMs = 30_000,
    private readonly reclaim: () => void = collectGarbage,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs).unref();
  }

  get size(): number {
    return this.values.size;
  }

  get(key: string): unknown {
    const entry = this.values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Keyv passes the TTL in milliseconds; every gateway write has one. */
  set(key: string, value: unknown, ttl?: number): this {
    // Re-inserting moves the key to the end of the Map's order, which is the eviction order.
    this.values.delete(key);
    this.values.set(key, { value, expiresAt: ttl ? Date.now() + ttl : Number.POSITIVE_INFINITY });
    while (this.values.size > this.maxEntries) this.values.delete(this.values.keys().next().value!);
    return this;
  }

  delete(key: string): boolean {
    const entry = this.values.get(key);
    this.values.delete(key);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  clear(): void {
    this.values.clear();
  }

  /** Removes the expired entries; returns how many there were. */
  sweep(now = Date.now()): number {
    let removed = 0;
    for (const [key, entry] of this.values) {
      if (entry.expiresAt <= now) {
        this.values.delete(key);
        removed++;
      }
    }
    if (removed >= RECLAIM_AFTER_ENTRIES) this.reclaim();
    return removed;
  }

  /** Called by keyv's disconnect. */
  disconnect(): void {
    clearInterval(this.sweeper);
  }
}
