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

type Entry = { value: unknown; expiresAt: number };

/** Keys of pending authorizations (SealedStore.keyFor('state', …)): the records anonymous callers create. */
const PENDING_PREFIX = 'state:';

/**
 * The in-process store when there is no Redis: Maps whose entries expire on their own.
 * A plain Map only drops an expired entry when it is read, so abandoned states would pile up; here a
 * sweep removes them, and a size bound evicts the oldest entries first, so anonymous callers cannot
 * grow the process without limit. Pending states live in a pool of their own with its own bound:
 * however many an anonymous caller starts, they only ever push out other pending states, never a
 * session or a connection. After a sweep that dropped many entries, their memory goes back to the system.
 */
export class MemoryStore {
  private readonly values = new Map<string, Entry>();
  private readonly pending = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxEntries: number,
    sweepIntervalMs = 30_000,
    private readonly reclaim: () => void = collectGarbage,
    private readonly maxPending = maxEntries,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs).unref();
  }

  get size(): number {
    return this.values.size + this.pending.size;
  }

  /** `now`: one clock reading for several reads in a row. */
  get(key: string, now = Date.now()): unknown {
    const map = this.mapFor(key);
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The TTL is in milliseconds; every gateway write has one. */
  set(key: string, value: unknown, ttl?: number): this {
    const pending = key.startsWith(PENDING_PREFIX);
    const map = pending ? this.pending : this.values;
    const bound = pending ? this.maxPending : this.maxEntries;
    // Re-inserting moves the key to the end of the Map's order, which is the eviction order.
    map.delete(key);
    map.set(key, { value, expiresAt: ttl ? Date.now() + ttl : Number.POSITIVE_INFINITY });
    while (map.size > bound) map.delete(map.keys().next().value!);
    return this;
  }

  delete(key: string): boolean {
    const map = this.mapFor(key);
    const entry = map.get(key);
    map.delete(key);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  clear(): void {
    this.values.clear();
    this.pending.clear();
  }

  /** Removes the expired entries; returns how many there were. */
  sweep(now = Date.now()): number {
    let removed = 0;
    for (const map of [this.values, this.pending]) {
      for (const [key, entry] of map) {
        if (entry.expiresAt <= now) {
          map.delete(key);
          removed++;
        }
      }
    }
    if (removed >= RECLAIM_AFTER_ENTRIES) this.reclaim();
    return removed;
  }

  /** Called by the store's close. */
  disconnect(): void {
    clearInterval(this.sweeper);
  }

  private mapFor(key: string): Map<string, Entry> {
    return key.startsWith(PENDING_PREFIX) ? this.pending : this.values;
  }
}
