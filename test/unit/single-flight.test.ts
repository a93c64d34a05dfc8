import { describe, expect, it } from '@jest/globals';
import { SingleFlight } from '../../src/single-flight.js';

/** A run that settles when the test says so. */
function gate<T>() {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { promise, open, fail };
}

describe('single flight', () => {
  it('joins calls for a key while its run is in flight, and starts afresh once it settled', async () => {
    const flights = new SingleFlight<string, number>();
    const runs: string[] = [];
    const first = gate<number>();
    const start = (key: string, result: Promise<number>) => () => (runs.push(key), result);

    const a = flights.run('a', start('a', first.promise));
    const joined = flights.run('a', start('a', Promise.resolve(-1)));
    const other = flights.run('b', start('b', Promise.resolve(2)));
    expect([a.joined, joined.joined, other.joined]).toEqual([false, true, false]);
    expect(runs).toEqual(['a', 'b']);

    first.open(1);
    expect(await Promise.all([a.promise, joined.promise, other.promise])).toEqual([1, 1, 2]);
    const again = flights.run('a', start('a', Promise.resolve(3)));
    expect(again.joined).toBe(false);
    expect(await again.promise).toBe(3);
    expect(runs).toEqual(['a', 'b', 'a']);
  });

  it('shares a failure with every joined caller, then lets the next call try again', async () => {
    const flights = new SingleFlight<string, number>();
    const failing = gate<number>();
    const a = flights.run('a', () => failing.promise);
    const b = flights.run('a', () => Promise.resolve(0));
    failing.fail(new Error('upstream down'));
    await expect(a.promise).rejects.toThrow('upstream down');
    await expect(b.promise).rejects.toThrow('upstream down');
    const retry = flights.run('a', () => Promise.resolve(7));
    expect(retry.joined).toBe(false);
    expect(await retry.promise).toBe(7);
  });
});
