import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, type FakeGithub } from '../fakes/index.js';
import { ProfileDocument, SessionDocument, StartAuthDocument } from '../generated/graphql.js';
import { connect, redisAvailable, redisEnv, redisKeys, startTestGateway, type TestGateway } from './harness.js';

/** Anonymous startAuth calls, as fast as they go, from one client; what each answered. */
async function flood(gw: TestGateway, count: number): Promise<{ ok: number; limited: number; retryAfter: number[] }> {
  const seen = { ok: 0, limited: 0, retryAfter: [] as number[] };
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(25, count - i) }, () => gw.browser().request(StartAuthDocument, { provider: 'github' })),
    );
    for (const result of batch) {
      if (result.status === 'fulfilled') seen.ok++;
      else {
        const extensions = (result.reason as { response?: { errors?: Array<{ extensions?: Record<string, unknown> }> } }).response
          ?.errors?.[0]?.extensions;
        expect(extensions?.code).toBe('RATE_LIMITED');
        seen.limited++;
        seen.retryAfter.push(Number(extensions?.retryAfter));
      }
    }
  }
  return seen;
}

/**
 * SEC-05: anonymous startAuth floods must not log anyone out. Pending states live in a pool of their
 * own: a full pool refuses new flows (RATE_LIMITED with retryAfter) and never evicts a session.
 */
describe('pending states: a bounded pool that never evicts sessions', () => {
  let github: FakeGithub;
  beforeAll(async () => {
    github = await startFakeGithub();
  });
  afterAll(() => github.close());

  it('a flood of anonymous startAuth larger than the in-process store leaves every live session readable', async () => {
    // The store's bound (sessions, connections) is far below the flood; the pending pool is larger than it.
    const gw = await startTestGateway({ ...github.env(), MEMORY_STORE_MAX_ENTRIES: '100', PENDING_STATES_MAX: '400' });
    try {
      const sessions = [];
      for (let i = 0; i < 5; i++) sessions.push(await connect(gw, github, 'github'));
      const seen = await flood(gw, 300);
      expect(seen).toMatchObject({ ok: 300, limited: 0 });
      for (const { sessionId } of sessions) {
        const { profile } = await gw.request(ProfileDocument, { provider: 'github', sessionId });
        expect(profile.provider).toBe('github');
      }
    } finally {
      await gw.close();
    }
  });

  it('a full pool answers RATE_LIMITED with retryAfter, and sessions made before still work', async () => {
    const gw = await startTestGateway({ ...github.env(), PENDING_STATES_MAX: '50', STATE_TTL_SECONDS: '600' });
    try {
      const { sessionId } = await connect(gw, github, 'github');
      const seen = await flood(gw, 80);
      // The connect above started one flow of the 50.
      expect(seen.ok).toBe(49);
      expect(seen.limited).toBe(31);
      // Buckets of a tenth of the state lifetime: the oldest drops out within 60 s.
      expect(Math.max(...seen.retryAfter)).toBeLessThanOrEqual(60);
      expect(Math.min(...seen.retryAfter)).toBeGreaterThanOrEqual(1);
      const { session } = await gw.request(SessionDocument, { sessionId });
      expect(session.connections).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  describe('across replicas on Redis', () => {
    let enabled = true;
    let namespace: string;
    let a: TestGateway;
    let b: TestGateway;
    beforeAll(async () => {
      enabled = await redisAvailable();
      if (!enabled) return;
      const store = redisEnv();
      namespace = store.STORE_NAMESPACE!;
      const env = { ...store, ...github.env(), PENDING_STATES_MAX: '30', PUBLIC_URL: 'http://127.0.0.1:4997' };
      [a, b] = await Promise.all([startTestGateway(env), startTestGateway(env)]);
    });
    afterAll(async () => {
      if (!enabled) return;
      await Promise.all([a.close(), b.close()]);
      await redisKeys(namespace, true);
    });

    it('the cap is global: two replicas together admit no more pending flows than it', async () => {
      if (!enabled) return;
      const [onA, onB] = await Promise.all([flood(a, 20), flood(b, 20)]);
      expect(onA.ok + onB.ok).toBe(30);
      expect(onA.limited + onB.limited).toBe(10);
      // The counters carry a TTL: nothing stays in Redis for ever.
      const counters = (await redisKeys(namespace)).filter((row) => row.key.includes('pending:'));
      expect(counters.length).toBeGreaterThan(0);
      for (const row of counters) expect(row.ttl).toBeGreaterThan(0);
    });
  });
});
