import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Keyv } from 'keyv';
import { pino } from 'pino';
import { AppError } from '../../src/errors/app-error.js';
import { ErrorCode } from '../../src/errors/codes.js';
import { randomHandle } from '../../src/auth/random.js';
import { createStore } from '../../src/store/create-store.js';
import { Keyring } from '../../src/store/keyring.js';
import { InProcessCoordination } from '../../src/store/coordination.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SealedStore } from '../../src/store/store.js';

const accessToken = 'BQDk3v9sQ2hX0tL1Yq7mZpA4cR8uW6nE5jG2fH1kT0';
const refreshToken = 'AQAb7Xw2pL9eK4rT1uY6iO3pA8sD5fG0hJ2kL7zXcV';

function openStore(opTimeoutMs?: number) {
  const map = new Map<string, unknown>();
  const keyv = new Keyv<string>({ store: map });
  return {
    map,
    store: new SealedStore(keyv, new Keyring([Buffer.alloc(32, 7)]), new InProcessCoordination(new MemoryStore(1000)), opTimeoutMs),
  };
}

/** A keyv stand-in whose every operation behaves as `operation` says. */
function brokenKeyv(operation: () => Promise<never>): Keyv<string> {
  return {
    get: operation,
    getMany: operation,
    set: operation,
    delete: operation,
    disconnect: operation,
  } as unknown as Keyv<string>;
}

async function expectStoreUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(ErrorCode.STORE_UNAVAILABLE);
  expect((error as AppError).status).toBe(503);
}

describe('SealedStore keys', () => {
  it('are kind:{<sha256 base64url>} of the handle (a cluster hash tag) and never contain the handle', () => {
    const handle = randomHandle();
    const key = SealedStore.keyFor('session', handle);
    const digest = createHash('sha256').update(handle).digest('base64url');
    expect(key).toBe(`session:{${digest}}`);
    expect(key).toMatch(/^session:\{[A-Za-z0-9_-]{43}\}$/);
    expect(key).not.toContain(handle);
    // A session's connections share its hash tag, so Redis Cluster keeps them in one slot.
    expect(SealedStore.keyFor('conn', handle, 'github')).toBe(`conn:{${digest}}:github`);
    expect(SealedStore.keyFor('session', randomHandle())).not.toBe(key);
  });

  it('are the same for a session id whose digest is remembered, past the memo filling up', () => {
    const handles = Array.from({ length: 5000 }, () => randomHandle());
    for (const handle of [...handles, ...handles]) {
      const digest = createHash('sha256').update(handle).digest('base64url');
      expect(SealedStore.sessionKeyFor('conn', handle, 'github')).toBe(`conn:{${digest}}:github`);
      expect(SealedStore.sessionKeyFor('session', handle)).toBe(SealedStore.keyFor('session', handle));
    }
  });

  it('leave no handle and no token in a dump of the store', async () => {
    const { map, store } = openStore();
    const sessionId = randomHandle();
    await store.put(SealedStore.keyFor('conn', sessionId, 'spotify'), { accessToken, refreshToken }, 60_000);
    expect(map.size).toBe(1);
    const dump = JSON.stringify([...map.entries()]);
    expect(dump).not.toContain(sessionId);
    expect(dump).not.toContain(accessToken);
    expect(dump).not.toContain(refreshToken);
    expect(dump).not.toContain(Buffer.from(accessToken).toString('base64'));
    expect(await store.get(SealedStore.keyFor('conn', sessionId, 'spotify'))).toEqual({ accessToken, refreshToken });
  });
});

describe('SealedStore records', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads back what was put, and nothing for an unknown key', async () => {
    const { store } = openStore();
    const key = SealedStore.keyFor('session', randomHandle());
    const record = { createdAt: 1, expiresAt: 2, scopes: ['a', 'b'] };
    await store.put(key, record, 60_000);
    expect(await store.get(key)).toEqual(record);
    expect(await store.get(SealedStore.keyFor('session', randomHandle()))).toBeUndefined();
    expect(await store.getMany([key, SealedStore.keyFor('session', 'other')])).toEqual([record, undefined]);
  });

  it('reads a record written under another key as absent', async () => {
    const { map, store } = openStore();
    const from = SealedStore.keyFor('session', randomHandle());
    const to = SealedStore.keyFor('session', randomHandle());
    await store.put(from, { accessToken }, 60_000);
    await store.put(to, { accessToken: 'someone-elses' }, 60_000);
    // Copy the raw value of one key over another, as someone with write access to Redis could.
    const copied = map.get(`keyv:${from}`);
    expect(typeof copied).toBe('string');
    map.set(`keyv:${to}`, copied);
    expect(await store.get(to)).toBeUndefined();
  });

  it('take returns the record once, then nothing', async () => {
    const { map, store } = openStore();
    const key = SealedStore.keyFor('state', randomHandle());
    await store.put(key, { verifier: 'v' }, 60_000);
    expect(await store.take(key)).toEqual({ verifier: 'v' });
    expect(await store.take(key)).toBeUndefined();
    expect(await store.get(key)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('gives a record to exactly one of 20 concurrent takers', async () => {
    const { store } = openStore();
    const key = SealedStore.keyFor('state', randomHandle());
    await store.put(key, { verifier: 'v' }, 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take(key)));
    expect(results.filter((r) => r !== undefined)).toEqual([{ verifier: 'v' }]);
  });

  it('forgets a record once its TTL has passed', async () => {
    jest.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
    const { store } = openStore();
    const key = SealedStore.keyFor('state', randomHandle());
    await store.put(key, { verifier: 'v' }, 600_000);
    jest.advanceTimersByTime(599_000);
    expect(await store.get(key)).toEqual({ verifier: 'v' });
    jest.advanceTimersByTime(2_000);
    expect(await store.get(key)).toBeUndefined();
    expect(await store.take(key)).toBeUndefined();
  });

  it('refuses to store a record without a TTL', async () => {
    const { map, store } = openStore();
    const key = SealedStore.keyFor('session', randomHandle());
    for (const ttl of [0, -1, Number.NaN, undefined as unknown as number]) {
      await expect(store.put(key, { accessToken }, ttl)).rejects.toThrow('without a TTL');
    }
    expect(map.size).toBe(0);
  });

  it('delete reports whether there was a record', async () => {
    const { store } = openStore();
    const key = SealedStore.keyFor('session', randomHandle());
    await store.put(key, { a: 1 }, 60_000);
    expect(await store.delete(key)).toBe(true);
    expect(await store.delete(key)).toBe(false);
    expect(await store.get(key)).toBeUndefined();
  });
});

describe('the in-process store', () => {
  it("keeps a connection's pair marker as long as the connection, past 100 000 connections", async () => {
    // Regression: markers once had a map of their own bounded at 100 000 entries, so the oldest
    // connections lost theirs and their next refresh dropped the rotated pair.
    const store = await createStore({ namespace: 'unit-test', keyring: Keyring.ephemeral(), logger: pino({ level: 'silent' }) });
    try {
      const sessions = Array.from({ length: 100_050 }, (_, i) => `session-${i}`);
      for (const session of sessions) await store.putMarker(SealedStore.keyFor('pair', session, 'github'), 'fingerprint', 60_000);
      await store.put(SealedStore.keyFor('conn', sessions[0]!, 'github'), { accessToken }, 60_000);
      expect(await store.get(SealedStore.keyFor('conn', sessions[0]!, 'github'))).toEqual({ accessToken });
      expect(await store.compareAndSetMarker(SealedStore.keyFor('pair', sessions[0]!, 'github'), 'fingerprint', 'next', 60_000)).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('records of the in-process store', () => {
  it('are frozen copies of what was written: no reader can change what another reads', async () => {
    const store = await createStore({ namespace: 'unit-test', keyring: Keyring.ephemeral(), logger: pino({ level: 'silent' }) });
    try {
      const key = SealedStore.keyFor('conn', 'session-frozen', 'github');
      const written = { accessToken, scopes: ['repo'], claims: { sub: '1' }, at: new Date(0) };
      await store.put(key, written, 60_000);
      written.scopes.push('admin');
      const first = await store.get<{ scopes: string[]; claims: { sub: string }; at: string }>(key);
      // What JSON keeps: the writer's later change is not in it, a Date is its ISO text.
      expect(first).toEqual({ accessToken, scopes: ['repo'], claims: { sub: '1' }, at: '1970-01-01T00:00:00.000Z' });
      expect(() => first!.scopes.push('admin')).toThrow(TypeError);
      expect(() => {
        first!.claims.sub = '2';
      }).toThrow(TypeError);
      const [again] = await store.getMany<typeof first>([key]);
      expect(again).toEqual({ accessToken, scopes: ['repo'], claims: { sub: '1' }, at: '1970-01-01T00:00:00.000Z' });
      expect(await store.take(key)).toEqual(again);
      expect(await store.get(key)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('SealedStore when the store fails', () => {
  const key = SealedStore.keyFor('session', 'handle');

  it('answers STORE_UNAVAILABLE when every operation rejects', async () => {
    const store = new SealedStore(
      brokenKeyv(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))),
      Keyring.ephemeral(),
      new InProcessCoordination(new MemoryStore(1000)),
      100,
    );
    await expectStoreUnavailable(store.get(key));
    await expectStoreUnavailable(store.getMany([key]));
    await expectStoreUnavailable(store.put(key, { a: 1 }, 1000));
    await expectStoreUnavailable(store.take(key));
    await expectStoreUnavailable(store.delete(key));
    await expectStoreUnavailable(store.ping());
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('answers STORE_UNAVAILABLE within its bound when the store never answers', async () => {
    const store = new SealedStore(
      brokenKeyv(() => new Promise<never>(() => undefined)),
      Keyring.ephemeral(),
      new InProcessCoordination(new MemoryStore(1000)),
      50,
    );
    const started = Date.now();
    await expectStoreUnavailable(store.get(key));
    await expectStoreUnavailable(store.put(key, { a: 1 }, 1000));
    await expectStoreUnavailable(store.ping());
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps the cause out of the message a client sees', async () => {
    const store = new SealedStore(
      brokenKeyv(() => Promise.reject(new Error('NOAUTH redis://:hunter2@10.0.0.5'))),
      Keyring.ephemeral(),
      new InProcessCoordination(new MemoryStore(1000)),
      100,
    );
    const error = (await store.get(key).catch((e: unknown) => e)) as AppError;
    expect(error.message).not.toContain('hunter2');
    expect(error.toExtensions()).toEqual({ code: 'STORE_UNAVAILABLE', http: { status: 503 } });
  });

  it('reports STORE_UNAVAILABLE when Redis answers commands with errors, instead of "no record" or "written"', async () => {
    // Redis that accepts connections but fails every data command, as it does while loading its dataset.
    const redis = await errorAnsweringRedis('LOADING Redis is loading the dataset in memory');
    const store = await createStore({
      redisUrl: `redis://127.0.0.1:${redis.port}`,
      namespace: 'unit-test',
      keyring: Keyring.ephemeral(),
      logger: pino({ level: 'silent' }),
    });
    try {
      const outcomes = await Promise.allSettled([store.get(key), store.put(key, { accessToken }, 60_000), store.delete(key), store.ping()]);
      // The server was reached (its error is what the client must not mistake for an answer).
      expect(redis.commands).toContain('GET');
      // A failed read must not look like an unknown session (SESSION_NOT_FOUND), a failed write must not
      // look stored, and /readyz must not report ready.
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as AppError).code : 'resolved'))).toEqual([
        ErrorCode.STORE_UNAVAILABLE,
        ErrorCode.STORE_UNAVAILABLE,
        ErrorCode.STORE_UNAVAILABLE,
        ErrorCode.STORE_UNAVAILABLE,
      ]);
    } finally {
      await store.close();
      await redis.close();
    }
  });
});

/**
 * A loopback server speaking just enough RESP for a Redis client: the connection handshake succeeds,
 * every other command is answered with the error given. Records the names of the commands it received.
 */
async function errorAnsweringRedis(error: string): Promise<{ port: number; commands: string[]; close(): Promise<void> }> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let command = nextCommand(); command; command = nextCommand()) {
        const name = command[0]!.toUpperCase();
        commands.push(name);
        socket.write(['CLIENT', 'HELLO', 'SELECT', 'PING', 'QUIT'].includes(name) ? '+OK\r\n' : `-${error}\r\n`);
      }
    });
    /** Takes one `*<n>\r\n($<len>\r\n<arg>\r\n)*` array off the buffer, when complete. */
    function nextCommand(): string[] | undefined {
      const head = /^\*(\d+)\r\n/.exec(buffer);
      if (!head) return undefined;
      let position = head[0].length;
      const args: string[] = [];
      for (let i = 0; i < Number(head[1]); i++) {
        const length = /^\$(\d+)\r\n/.exec(buffer.slice(position));
        if (!length) return undefined;
        const start = position + length[0].length;
        const end = start + Number(length[1]);
        if (buffer.length < end + 2) return undefined;
        args.push(buffer.slice(start, end));
        position = end + 2;
      }
      buffer = buffer.slice(position);
      return args;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
