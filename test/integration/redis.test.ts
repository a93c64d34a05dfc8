import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, startFakeGoogle, type FakeGithub, type FakeGoogle } from '../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument, SessionDocument, StartAuthDocument } from '../generated/graphql.js';
import { connect, redisAvailable, redisEnv, redisKeys, startTestGateway, testKey, CookieJar, type TestGateway } from './harness.js';

describe('several gateway replicas sharing Redis', () => {
  const key = testKey();
  const env = redisEnv(undefined, key);
  let github: FakeGithub;
  let google: FakeGoogle;
  let first: TestGateway;
  let second: TestGateway;
  let enabled = true;

  beforeAll(async () => {
    enabled = await redisAvailable();
    if (!enabled) return;
    [github, google] = await Promise.all([startFakeGithub(), startFakeGoogle()]);
    // Both replicas share the public URL (behind one load balancer): the redirect URI is the same.
    const shared = { ...env, ...github.env(), ...google.env(), PUBLIC_URL: 'http://127.0.0.1:4999' };
    // One browser reaches both, with the same cookies.
    const jar = new CookieJar();
    [first, second] = await Promise.all([startTestGateway(shared, { jar }), startTestGateway(shared, { jar })]);
  });
  afterAll(async () => {
    if (!enabled) return;
    await Promise.all([first.close(), second.close(), github.close(), google.close()]);
    await redisKeys(env.STORE_NAMESPACE!, true);
  });
  const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));

  live('answers a burst of concurrent requests right after boot, before its first Redis connection is ready', async () => {
    const fresh = await startTestGateway({ ...env, ...github.env() });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => fresh.browser().request(StartAuthDocument, { provider: 'github' })),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  live('a flow started on one replica completes on the other, and either serves the profile', async () => {
    const { startAuth } = await first.request(StartAuthDocument, { provider: 'google' });
    const callback = await google.authorize(startAuth.authorizationUrl);
    const { completeAuth } = await second.request(CompleteAuthDocument, {
      provider: 'google',
      code: callback.searchParams.get('code')!,
      state: callback.searchParams.get('state')!,
    });
    const fromFirst = await first.request(ProfileDocument, { provider: 'google', sessionId: completeAuth.sessionId });
    const fromSecond = await second.request(ProfileDocument, { provider: 'google', sessionId: completeAuth.sessionId });
    expect(fromFirst.profile.id).toBe(fromSecond.profile.id);
  });

  live('a state claimed on one replica cannot be replayed on the other', async () => {
    const { startAuth } = await first.request(StartAuthDocument, { provider: 'github' });
    const callback = await github.authorize(startAuth.authorizationUrl);
    const vars = { provider: 'github', code: callback.searchParams.get('code')!, state: callback.searchParams.get('state')! };
    const results = await Promise.allSettled([first.request(CompleteAuthDocument, vars), second.request(CompleteAuthDocument, vars)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  live('the store holds no handle or token in plain text, and every key expires', async () => {
    const session = await connect(first, github, 'github');
    const { startAuth } = await first.request(StartAuthDocument, { provider: 'github' });
    const accessToken = github.requests.find((r) => r.path === '/api/v3/user')?.headers.authorization ?? '';
    await first.request(ProfileDocument, { provider: 'github', sessionId: session.sessionId });
    const rows = await redisKeys(env.STORE_NAMESPACE!);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const dump = JSON.stringify(rows);
    const bearer = github.requests.filter((r) => r.path === '/api/v3/user').map((r) => r.headers.authorization!.split(' ')[1]!);
    for (const secret of [session.sessionId, startAuth.state, ...bearer, accessToken]) {
      if (secret) expect(dump).not.toContain(secret);
    }
    expect(dump).not.toContain('github-secret');
    for (const row of rows) expect(row.ttl).toBeGreaterThan(0);
    expect(rows.some((r) => r.key.includes(':state:'))).toBe(true);
    expect(rows.some((r) => r.key.includes(':session:'))).toBe(true);
  });

  live('sessions survive a gateway restart with the same key, and read as absent under a different key', async () => {
    const session = await connect(first, github, 'github');
    const restarted = await startTestGateway({ ...env, ...github.env() });
    const other = await startTestGateway({ ...env, ...github.env(), TOKEN_ENCRYPTION_KEY: `${testKey()}` });
    const rotated = await startTestGateway({ ...env, ...github.env(), TOKEN_ENCRYPTION_KEY: `${testKey()},${key}` });
    try {
      expect((await restarted.request(SessionDocument, { sessionId: session.sessionId })).session.connections).toHaveLength(1);
      expect((await rotated.request(ProfileDocument, { provider: 'github', sessionId: session.sessionId })).profile.provider).toBe(
        'github',
      );
      expect((await other.failure(SessionDocument, { sessionId: session.sessionId })).code).toBe('SESSION_NOT_FOUND');
    } finally {
      await Promise.all([restarted.close(), other.close(), rotated.close()]);
    }
  });
});
