import { afterEach, describe, expect, it } from '@jest/globals';
import { Keyv } from 'keyv';
import { MemoryStore } from '../../src/store/memory-store.js';

describe('the in-memory store', () => {
  const stores: MemoryStore[] = [];
  const make = (max = 1000) => {
    const store = new MemoryStore(max, 60_000);
    stores.push(store);
    return store;
  };
  afterEach(() => stores.splice(0).forEach((s) => s.disconnect()));

  it('forgets expired entries by itself, without anyone reading them', async () => {
    const store = make();
    const keyv = new Keyv<string>({ store });
    await keyv.set('a', 'x', 20);
    await keyv.set('b', 'y', 60_000);
    expect(store.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 40));
    store.sweep();
    expect(store.size).toBe(1);
    expect(await keyv.get('b')).toBe('y');
  });

  it('hands the memory back after a sweep that dropped many entries, and only then', () => {
    let collections = 0;
    const store = new MemoryStore(100_000, 60_000, () => collections++);
    stores.push(store);
    for (let i = 0; i < 12_000; i++) store.set(`state-${i}`, 'sealed', 1);
    for (let i = 0; i < 50; i++) store.set(`session-${i}`, 'sealed', 60_000);
    expect(store.sweep(Date.now() + 10)).toBe(12_000);
    expect(collections).toBe(1);
    expect(store.size).toBe(50);
    // A routine sweep of a few expired entries leaves the collector alone.
    for (let i = 0; i < 100; i++) store.set(`state-${i}`, 'sealed', 1);
    expect(store.sweep(Date.now() + 10)).toBe(100);
    expect(collections).toBe(1);
  });

  it('holds at most its bound, evicting the oldest entries first', async () => {
    const store = make(3);
    const keyv = new Keyv<string>({ store });
    for (const key of ['a', 'b', 'c', 'd']) await keyv.set(key, key, 60_000);
    expect(store.size).toBe(3);
    expect(await keyv.get('a')).toBeUndefined();
    expect(await keyv.get('d')).toBe('d');
  });

  it('reports a delete of an expired entry as nothing deleted, so a stale state cannot be claimed', async () => {
    const store = make();
    store.set('k', 'v', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.delete('k')).toBe(false);
    store.set('k', 'v', 60_000);
    expect(store.delete('k')).toBe(true);
    expect(store.delete('k')).toBe(false);
  });
});
