import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument, SessionDocument, StartAuthDocument } from '../generated/graphql.js';
import {
  browser,
  connectionRefused,
  GatewayProcess,
  RedisProcess,
  redisServerInstalled,
  sleep,
  timed,
  waitUntil,
} from '../resilience/processes.js';
import { testKey } from './harness.js';

/**
 * The gateway as a process (`dist/src/main.js`, built by `npm test`) against a redis-server of its own
 * that these tests stop, kill and restart — never the shared Redis on 6379. What is checked is what an
 * operator relies on: no crash and no hang while the store is gone, recovery without a restart, no lost
 * flow when a replica dies, and a clean drain on SIGTERM.
 *
 * Provider failures (down, slower than UPSTREAM_TIMEOUT_MS, 5xx, garbage, 429, with the number of
 * attempts seen at the fake) are covered in errors.test.ts and not repeated here.
 */

/** A store call that fails must fail within this (the store's own bound is 3 s). */
const STORE_FAILURE_BOUND_MS = 5000;
/** How long the gateway may take to notice that Redis is back (the client's reconnect backoff tops out at 2 s). */
const RECOVERY_BOUND_MS = 8000;

const enabled = redisServerInstalled();
const live = (name: string, fn: () => Promise<void>, timeoutMs: number) => it(name, async () => (enabled ? fn() : undefined), timeoutMs);

const clientId = (line: string) => /^id=(\d+) /.exec(line)?.[1] ?? line;

/** What was measured, printed once at the end so that regressions in the timings are visible in the run. */
const timings: Record<string, number> = {};

describe('resilience of the gateway process', () => {
  const key = testKey();
  let spotify: FakeSpotify;
  /** A Redis that stays up, shared by the replica and shutdown tests. */
  let steady: RedisProcess;
  const cleanup: Array<{ dispose(): Promise<void> }> = [];

  const envFor = (redis: RedisProcess, extra: Record<string, string> = {}): Record<string, string> => ({
    ...spotify.env(),
    REDIS_URL: redis.url,
    TOKEN_ENCRYPTION_KEY: key,
    STORE_NAMESPACE: 'resilience',
    START_AUTH_RATE_LIMIT: '0',
    DEMO_PROVIDER: 'false',
    EXAMPLE_PAGE: 'false',
    ...extra,
  });

  async function gateway(env: Record<string, string>): Promise<GatewayProcess> {
    const started = await GatewayProcess.start(env);
    cleanup.push(started);
    return started;
  }

  async function redisProcess(): Promise<RedisProcess> {
    const redis = await RedisProcess.create();
    cleanup.push(redis);
    return redis;
  }

  /** startAuth → consent at the fake → completeAuth, all on one gateway. */
  async function connectSpotify(gw: GatewayProcess) {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'spotify' });
    const callback = await spotify.authorize(startAuth.authorizationUrl);
    const { completeAuth } = await gw.request(CompleteAuthDocument, {
      provider: 'spotify',
      code: callback.searchParams.get('code')!,
      state: callback.searchParams.get('state')!,
    });
    return completeAuth;
  }

  async function expectProfile(gw: GatewayProcess, sessionId: string) {
    const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId });
    expect(profile).toMatchObject({ provider: 'spotify', id: 'smedjan' });
  }

  beforeAll(async () => {
    if (!enabled) return;
    spotify = await startFakeSpotify();
    steady = await redisProcess();
    await steady.start();
  });

  afterAll(async () => {
    if (!enabled) return;
    // Gateways first (they hold connections to the Redis servers), then the Redis servers.
    const gateways = cleanup.filter((c) => c instanceof GatewayProcess);
    await Promise.all(gateways.map((c) => c.dispose()));
    await Promise.all(cleanup.filter((c) => !(c instanceof GatewayProcess)).map((c) => c.dispose()));
    await spotify.close();
    if (Object.keys(timings).length > 0) process.stderr.write(`resilience timings (ms): ${JSON.stringify(timings)}\n`);
  });

  live(
    'starts while Redis is unreachable, reports it within a bound, and recovers by itself once Redis is up',
    async () => {
      const redis = await redisProcess(); // a port, nothing listening on it yet
      const startup = await timed(() => gateway(envFor(redis)));
      timings.startWithoutRedis = startup.ms;
      const gw = startup.value;

      expect(await gw.status('/healthz')).toBe(200);
      const [ready, startAuth, session] = await Promise.all([
        timed(() => gw.status('/readyz')),
        timed(() => gw.failure(StartAuthDocument, { provider: 'spotify' })),
        timed(() => gw.failure(SessionDocument, { sessionId: 'A'.repeat(43) })),
      ]);
      timings.readyzWithoutRedis = ready.ms;
      timings.startAuthWithoutRedis = startAuth.ms;
      expect(ready.value).toBe(503);
      expect(ready.ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
      expect(startAuth.value).toMatchObject({
        status: 503,
        code: 'STORE_UNAVAILABLE',
        extensions: { http: { status: 503 } },
      });
      expect(startAuth.ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
      expect(session.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
      expect(session.ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
      expect(startAuth.value.message).not.toContain(String(redis.port));
      expect(gw.alive).toBe(true);
      expect(await gw.status('/healthz')).toBe(200);

      await redis.start();
      timings.recoveryAfterLateRedis = await waitUntil(
        '/readyz to answer 200 after Redis came up',
        async () => (await gw.status('/readyz')) === 200,
        RECOVERY_BOUND_MS,
      );
      const { sessionId } = await connectSpotify(gw);
      await expectProfile(gw, sessionId);
      expect(gw.alive).toBe(true);
    },
    30_000,
  );

  live(
    'answers STORE_UNAVAILABLE without hanging or crashing when Redis dies mid-run, and recovers when it returns',
    async () => {
      const redis = await redisProcess();
      await redis.start();
      const gw = await gateway(envFor(redis));
      expect(await gw.status('/readyz')).toBe(200);
      const { sessionId } = await connectSpotify(gw);
      await expectProfile(gw, sessionId);

      await redis.kill('SIGKILL');
      const [ready, profile, startAuth, callback] = await Promise.all([
        timed(() => gw.status('/readyz')),
        timed(() => gw.failure(ProfileDocument, { provider: 'spotify', sessionId })),
        timed(() => gw.failure(StartAuthDocument, { provider: 'spotify' })),
        timed(async () => {
          const res = await fetch(`${gw.url}/callback/spotify?code=AQ-some-code&state=${'S'.repeat(43)}`);
          return { status: res.status, body: (await res.json()) as { error?: string } };
        }),
      ]);
      Object.assign(timings, {
        readyzRedisDown: ready.ms,
        profileRedisDown: profile.ms,
        startAuthRedisDown: startAuth.ms,
        callbackRedisDown: callback.ms,
      });
      expect(ready.value).toBe(503);
      expect(profile.value).toMatchObject({
        status: 503,
        code: 'STORE_UNAVAILABLE',
        extensions: { http: { status: 503 } },
      });
      expect(startAuth.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
      expect(callback.value).toEqual({ status: 503, body: expect.objectContaining({ error: 'STORE_UNAVAILABLE' }) });
      for (const { ms } of [ready, profile, startAuth, callback]) expect(ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
      expect(gw.alive).toBe(true);
      expect(await gw.status('/healthz')).toBe(200);
      // Still bounded once the outage has lasted a while (the client is between reconnect attempts).
      await sleep(1000);
      const [later, laterProfile] = await Promise.all([
        timed(() => gw.status('/readyz')),
        timed(() => gw.failure(ProfileDocument, { provider: 'spotify', sessionId })),
      ]);
      Object.assign(timings, { readyzRedisDownLater: later.ms, profileRedisDownLater: laterProfile.ms });
      expect(later.value).toBe(503);
      expect(laterProfile.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
      for (const { ms } of [later, laterProfile]) expect(ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
      expect(gw.alive).toBe(true);

      await redis.start();
      timings.recoveryAfterRedisRestart = await waitUntil(
        '/readyz to answer 200 after Redis restarted',
        async () => (await gw.status('/readyz')) === 200,
        RECOVERY_BOUND_MS,
      );
      // The session written before the crash is still there (append-only file) and usable again.
      await expectProfile(gw, sessionId);
      const fresh = await connectSpotify(gw);
      await expectProfile(gw, fresh.sessionId);
      expect(gw.alive).toBe(true);
    },
    30_000,
  );

  live(
    'answers STORE_UNAVAILABLE within the bound while Redis is frozen (connection open, no answers), and resumes with it',
    async () => {
      const redis = await redisProcess();
      await redis.start();
      const gw = await gateway(envFor(redis));
      const { sessionId } = await connectSpotify(gw);

      redis.freeze(true);
      try {
        const [ready, profile, startAuth] = await Promise.all([
          timed(() => gw.status('/readyz')),
          timed(() => gw.failure(ProfileDocument, { provider: 'spotify', sessionId })),
          timed(() => gw.failure(StartAuthDocument, { provider: 'spotify' })),
        ]);
        Object.assign(timings, { readyzRedisFrozen: ready.ms, profileRedisFrozen: profile.ms, startAuthRedisFrozen: startAuth.ms });
        expect(ready.value).toBe(503);
        expect(profile.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
        expect(startAuth.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
        for (const { ms } of [ready, profile, startAuth]) expect(ms).toBeLessThan(STORE_FAILURE_BOUND_MS);
        expect(gw.alive).toBe(true);
      } finally {
        redis.freeze(false);
      }
      timings.recoveryAfterRedisThawed = await waitUntil(
        '/readyz to answer 200 after Redis resumed',
        async () => (await gw.status('/readyz')) === 200,
        RECOVERY_BOUND_MS,
      );
      await expectProfile(gw, sessionId);
    },
    20_000,
  );

  live(
    'completes on a second replica a flow whose first replica was SIGKILLed between startAuth and the callback',
    async () => {
      // Both replicas sit behind one public URL, so the redirect URI is the same for both.
      const shared = envFor(steady, { PUBLIC_URL: 'http://127.0.0.1:4999' });
      const [a, b] = await Promise.all([gateway(shared), gateway(shared)]);
      try {
        const viaGraphql = (await a.request(StartAuthDocument, { provider: 'spotify' })).startAuth;
        const viaCallback = (await a.request(StartAuthDocument, { provider: 'spotify' })).startAuth;
        a.child.kill('SIGKILL');
        expect((await a.exited).signal).toBe('SIGKILL');

        // The frontend's completeAuth lands on B.
        const first = await spotify.authorize(viaGraphql.authorizationUrl);
        const { completeAuth } = await b.request(CompleteAuthDocument, {
          provider: 'spotify',
          code: first.searchParams.get('code')!,
          state: first.searchParams.get('state')!,
        });
        expect(completeAuth.provider).toBe('spotify');
        await expectProfile(b, completeAuth.sessionId);

        // The provider's redirect (the JSON callback) lands on B.
        const second = await spotify.authorize(viaCallback.authorizationUrl);
        const res = await browser.fetch(`${b.url}/callback/spotify${second.search}`);
        const body = (await res.json()) as {
          sessionId?: string;
          provider?: string;
        };
        expect({ status: res.status, provider: body.provider }).toEqual({ status: 200, provider: 'spotify' });
        await expectProfile(b, body.sessionId!);
      } finally {
        await Promise.all([a.dispose(), b.dispose()]);
      }
    },
    20_000,
  );

  live(
    'on SIGTERM finishes the request in flight, refuses new connections, closes Redis and exits 0',
    async () => {
      const others = new Set(await steady.otherClients().then((list) => list.map(clientId)));
      const gw = await gateway(envFor(steady));
      const { sessionId } = await connectSpotify(gw);
      const ours = (await steady.otherClients()).map(clientId).filter((id) => !others.has(id));
      expect(ours.length).toBeGreaterThan(0); // the gateway's connection, so the check below means something

      spotify.failNext('profile', { delayMs: 1500 });
      const profileCalls = spotify.count('/v1/me', 'GET');
      const inFlight = timed(async () => {
        const res = await fetch(`${gw.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'query($s: String!) { profile(provider: "spotify", sessionId: $s) { id provider } }',
            variables: { s: sessionId },
          }),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      });
      // The request has reached the provider: it is inside the gateway, waiting on the slow answer.
      await waitUntil('the profile request to reach the fake', async () => spotify.count('/v1/me', 'GET') > profileCalls, 3000, 10);

      const signalled = Date.now();
      gw.child.kill('SIGTERM');
      await sleep(300);
      expect(await connectionRefused(gw.port)).toBe(true);

      const answered = await inFlight;
      const lastAnswer = Date.now();
      expect(answered.value).toEqual({
        status: 200,
        body: { data: { profile: { id: 'smedjan', provider: 'spotify' } } },
      });
      const exit = await gw.exitWithin(10_000);
      timings.sigtermToExit = Date.now() - signalled;
      timings.inFlightDuringSigterm = answered.ms;
      timings.exitAfterLastAnswer = Date.now() - lastAnswer;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(timings.sigtermToExit).toBeLessThan(10_000);
      // Redis closed cleanly: shortly after the last answer, not after the store's 3 s close bound ran out...
      expect(timings.exitAfterLastAnswer).toBeLessThan(2000);
      // ...and no connection of the gateway is left on the server.
      const left = (await steady.otherClients()).filter((line) => ours.includes(clientId(line)));
      expect(left).toEqual([]);
      // The shutdown is in the log (the asynchronous log buffer was flushed before exit).
      expect(gw.output).toContain('"msg":"shutting down"');
      expect(gw.output).not.toMatch(/shutdown failed/);
    },
    20_000,
  );

  live(
    'on SIGTERM while Redis hangs, answers the request waiting on the store and still exits 0 within the bound',
    async () => {
      const redis = await redisProcess();
      await redis.start();
      const gw = await gateway(envFor(redis));
      const { sessionId } = await connectSpotify(gw);
      // A frozen Redis keeps the connection open and answers nothing: the store call waits (up to the
      // store's bound). (A Redis that is gone fails at once: commands are not queued while disconnected.)
      redis.freeze(true);

      let settled = false;
      const waiting = timed(() => gw.failure(SessionDocument, { sessionId })).finally(() => (settled = true));
      await sleep(200);
      expect(settled).toBe(false);
      const signalled = Date.now();
      gw.child.kill('SIGTERM');
      const exit = await gw.exitWithin(10_000);
      timings.sigtermToExitRedisDown = Date.now() - signalled;
      const answered = await waiting;
      expect(answered.value).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(timings.sigtermToExitRedisDown).toBeLessThan(10_000);
      redis.freeze(false);
    },
    20_000,
  );
});
