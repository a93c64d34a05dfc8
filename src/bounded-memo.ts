/**
 * A memo of a pure function over the few values that come back on every request (a provider's
 * redirect URI, its API URLs), bounded: once full it starts over, so values a caller chose cannot
 * grow it.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(
    private readonly compute: (key: K) => V,
    private readonly maxEntries: number,
  ) {}

  get(key: K): V {
    let value = this.values.get(key);
    if (value === undefined) {
      value = this.compute(key);
      if (this.values.size >= this.maxEntries) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }
}
