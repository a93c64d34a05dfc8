import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@keyv/redis';
import { InProcessCoordination, RedisCoordination, type Coordination } from '../../src/store/coordination.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { REDIS_URL, redisAvailable } from './harness.js';

const prefix = `coordination-test-${randomBytes(4).toString('hex')}::`;
const client = createClient({ url: REDIS_URL });
client.on('error', () => undefined);
const memory = new MemoryStore(1000);
const inProcess = new InProcessCoordination(memory);

afterAll(async () => {
  memory.disconnect();
  if (client.isOpen) {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*` }))
      if ((keys as unknown as string[]).length) await client.del(keys as unknown as string[]);
    await client.quit();
  }
});

const implementations: Array<[string, () => Promise<Coordination | undefined>]> = [
  ['in process', async () => inProcess],
  [
    'Redis',
    async () => {
      if (!(await redisAvailable())) return undefined;
      if (!client.isOpen) await client.connect();
      return new RedisCoordination(async () => client as never, prefix);
    },
  ],
];

describe.each(implementations)('coordination (%s)', (_name, make) => {
  it('grants a lock to one owner at a time, and only its owner releases it', async () => {
    const c = await make();
    if (!c) return;
    const key = `lock:${randomBytes(6).toString('hex')}`;
    const attempts = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => c.acquire(key, owner, 5000)));
    expect(attempts.filter(Boolean)).toHaveLength(1);
    const holder = ['a', 'b', 'c', 'd'][attempts.indexOf(true)]!;
    await c.release(key, holder === 'a' ? 'b' : 'a'); // not the owner: no effect
    expect(await c.acquire(key, 'x', 5000)).toBe(false);
    await c.release(key, holder);
    expect(await c.acquire(key, 'x', 5000)).toBe(true);
  });

  it('lets an abandoned lock expire', async () => {
    const c = await make();
    if (!c) return;
    const key = `lock:${randomBytes(6).toString('hex')}`;
    expect(await c.acquire(key, 'crashed', 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await c.acquire(key, 'next', 5000)).toBe(true);
  });

  it('compare-and-set: a late writer holding a stale expectation cannot overwrite the newer value', async () => {
    const c = await make();
    if (!c) return;
    const key = `pair:${randomBytes(6).toString('hex')}`;
    await c.set(key, 'v1', 5000);
    expect(await c.compareAndSet(key, 'v1', 'v2', 5000)).toBe(true);
    expect(await c.compareAndSet(key, 'v1', 'v2-late', 5000)).toBe(false);
    expect(await c.compareAndSet(key, 'v2', 'v3', 5000)).toBe(true);
    await c.delete(key);
    expect(await c.compareAndSet(key, 'v3', 'v4', 5000)).toBe(false);
  });
});
