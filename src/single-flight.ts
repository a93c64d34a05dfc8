/**
 * Identical concurrent calls share one run: while a run for a key is in flight, `run` for that key
 * joins it instead of starting another.
 *
 * The map holds a small holder per run, never the run's promise itself, and the holder lets go of
 * the promise when the run settles. A long-lived Map whose entries are set and deleted on every call
 * keeps what its deleted entries held reachable for a while (the deleted slots are reused only when
 * the table is rebuilt): holding each run's promise there kept every answer alive past two young
 * collections, so each was promoted to the old generation, which cost a loaded gateway several
 * microseconds of collection per answer.
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, { promise?: Promise<V> }>();

  /** The run in flight for `key`, if any, or a new one of `start`. `joined` says which. */
  run(key: K, start: () => Promise<V>): { promise: Promise<V>; joined: boolean } {
    const held = this.running.get(key);
    if (held?.promise) return { promise: held.promise, joined: true };
    const holder: { promise?: Promise<V> } = {};
    const promise = start().finally(() => {
      holder.promise = undefined;
      this.running.delete(key);
    });
    holder.promise = promise;
    this.running.set(key, holder);
    return { promise, joined: false };
  }
}
