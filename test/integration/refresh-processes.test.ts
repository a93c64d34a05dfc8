import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument, StartAuthDocument } from '../generated/graphql.js';
import { GatewayProcess } from '../resilience/processes.js';
import { freePort, redisAvailable, redisEnv, redisKeys } from './harness.js';

/**
 * refresh-replicas.test.ts again, with the replicas as real processes (`dist/src/main.js`, built by
 * `npm test`): nothing is shared between them but Redis, so only the Redis lock and the compare-and-set
 * on the pair's fingerprint can keep them from spending the same refresh token twice at a provider that
 * rotates refresh tokens and rejects a reused one.
 */

/** The value of one sample of the exposition text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const METRICS_TOKEN = 'refresh-processes-metrics-token';

describe('refresh across gateway processes with rotating refresh tokens', () => {
  const env = redisEnv();
  const namespace = env.STORE_NAMESPACE!;
  let spotify: FakeSpotify | undefined;
  const gateways: GatewayProcess[] = [];
  /** Set once Redis answers: a run that skips (or fails in CI for want of Redis) has nothing to clean up. */
  let enabled = false;

  beforeAll(async () => {
    enabled = await redisAvailable();
    if (!enabled) return;
    spotify = await startFakeSpotify({ rotateRefreshTokens: true });
    const shared = {
      ...env,
      ...spotify.env(),
      // One public URL for both, as behind a load balancer: the redirect URI is the same on either replica.
      PUBLIC_URL: `http://127.0.0.1:${await freePort()}`,
      START_AUTH_RATE_LIMIT: '0',
      DEMO_PROVIDER: 'false',
      EXAMPLE_PAGE: 'false',
      REFRESH_MARGIN_SECONDS: '0',
      METRICS_TOKEN,
    };
    const started = await Promise.allSettled([GatewayProcess.start(shared), GatewayProcess.start(shared)]);
    for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  afterAll(async () => {
    if (!enabled) return;
    // The processes first (they hold Redis connections), then the fake, then the namespace's keys.
    await Promise.all(gateways.map((g) => g.dispose()));
    await spotify?.close();
    await redisKeys(namespace, true);
  });

  const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));

  const scrape = async (gw: GatewayProcess) => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };
  /** A refresh counter summed over both processes. */
  const refreshes = async (result: 'succeeded' | 'coalesced' | 'failed') => {
    const texts = await Promise.all(gateways.map(scrape));
    return texts.reduce((sum, text) => sum + sample(text, 'gateway_token_refreshes_total', { provider: 'spotify', result }), 0);
  };

  live(
    '2 processes × 20 concurrent reads of an expired token: one refresh upstream, every read succeeds, the newest pair is kept',
    async () => {
      const fake = spotify!;
      const [a, b] = gateways as [GatewayProcess, GatewayProcess];
      const profileOn = (gw: GatewayProcess, sessionId: string) => gw.request(ProfileDocument, { provider: 'spotify', sessionId });

      // The flow starts on A and completes on B: the state lives in Redis, not in either process.
      const { startAuth } = await a.request(StartAuthDocument, { provider: 'spotify' });
      const callback = await fake.authorize(startAuth.authorizationUrl);
      const { completeAuth } = await b.request(CompleteAuthDocument, {
        provider: 'spotify',
        code: callback.searchParams.get('code')!,
        state: callback.searchParams.get('state')!,
      });
      const { sessionId } = completeAuth;
      expect(fake.tokenRequests('refresh_token')).toHaveLength(0);

      fake.expireAccessTokens();
      // A slow token endpoint widens the window in which the processes race for the refresh.
      fake.failNext('token', { delayMs: 300 });
      const reads = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => profileOn(i % 2 ? b : a, sessionId)));
      const failures = reads.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      expect(failures).toEqual([]);
      for (const r of reads) if (r.status === 'fulfilled') expect(r.value.profile).toMatchObject({ provider: 'spotify', id: 'smedjan' });
      expect(fake.tokenRequests('refresh_token')).toHaveLength(1);

      // One process refreshed; the other waited on the lock and took the new pair from Redis.
      expect(await refreshes('succeeded')).toBe(1);
      expect(await refreshes('coalesced')).toBeGreaterThanOrEqual(1);
      expect(await refreshes('failed')).toBe(0);

      // The stored pair is the newest: the next refresh spends the rotated token and is accepted
      // (a stale pair would hold a retired refresh token, refused with invalid_grant)...
      fake.expireAccessTokens();
      expect((await profileOn(a, sessionId)).profile.provider).toBe('spotify');
      expect(fake.tokenRequests('refresh_token')).toHaveLength(2);
      // ...and the other process reads that pair from Redis without refreshing again.
      expect((await profileOn(b, sessionId)).profile.provider).toBe('spotify');
      expect(fake.tokenRequests('refresh_token')).toHaveLength(2);

      expect(await refreshes('succeeded')).toBe(fake.tokenRequests('refresh_token').length);
      expect(await refreshes('failed')).toBe(0);
      expect(a.alive && b.alive).toBe(true);
    },
  );
});
