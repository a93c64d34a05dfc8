/**
 * The in-process store behind keyv when there is no Redis: a Map whose entries expire on their own.
 * A plain Map only drops an expired entry when it is read, so abandoned states would pile up; here a
 * sweep removes them, and a size bound evicts the oldest entries first, so anonymous callers cannot
 * grow the process without limit.
 */
export class MemoryStore {
  private readonly values = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxEntries: number,
    sweepIntervalMs = 30_000,
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

  sweep(now = Date.now()): void {
    for (const [key, entry] of this.values) if (entry.expiresAt <= now) this.values.delete(key);
  }

  /** Called by keyv's disconnect. */
  disconnect(): void {
    clearInterval(this.sweeper);
  }
}
