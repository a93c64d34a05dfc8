import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { ProfileDocument } from '../generated/graphql.js';
import { connect, redisAvailable, redisEnv, redisKeys, startTestGateway, type TestGateway } from './harness.js';

// Two gateway instances (each with its own in-process single-flight) sharing Redis, in front of a
// provider that rotates refresh tokens and rejects a reused one, as Spotify can.
describe('refresh across replicas with rotating refresh tokens', () => {
  const env = redisEnv();
  let spotify: FakeSpotify;
  let a: TestGateway;
  let b: TestGateway;
  let enabled = true;

  beforeAll(async () => {
    enabled = await redisAvailable();
    if (!enabled) return;
    spotify = await startFakeSpotify({ rotateRefreshTokens: true });
    const shared = { ...env, ...spotify.env(), PUBLIC_URL: 'http://127.0.0.1:4998' };
    [a, b] = await Promise.all([startTestGateway(shared), startTestGateway(shared)]);
  });
  afterAll(async () => {
    if (!enabled) return;
    await Promise.all([a.close(), b.close(), spotify.close()]);
    await redisKeys(env.STORE_NAMESPACE!, true);
  });
  const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));
  const profileOn = (gw: TestGateway, sessionId: string) => gw.request(ProfileDocument, { provider: 'spotify', sessionId });

  live('2 replicas × 20 concurrent reads of an expired token: one refresh upstream, every read succeeds', async () => {
    const { sessionId } = await connect(a, spotify, 'spotify');
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    // A slow token endpoint widens the window in which the replicas race.
    spotify.failNext('token', { delayMs: 300 });
    const reads = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => profileOn(i % 2 ? b : a, sessionId)));
    expect(reads.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);

    // The stored pair is the newest: the next refresh spends the rotated token and is accepted.
    spotify.expireAccessTokens();
    expect((await profileOn(b, sessionId)).profile.provider).toBe('spotify');
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(2);
    expect((await profileOn(a, sessionId)).profile.provider).toBe('spotify');
  });

  live('a reader that finds the lock taken waits for the new pair instead of refreshing again', async () => {
    const { sessionId } = await connect(a, spotify, 'spotify');
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    spotify.failNext('token', { delayMs: 600 });
    const first = profileOn(a, sessionId);
    await new Promise((resolve) => setTimeout(resolve, 150)); // a holds the lock now
    const second = profileOn(b, sessionId);
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
  });

  live('a grant the provider killed is REAUTH_REQUIRED on every replica, and forgotten', async () => {
    const { sessionId } = await connect(a, spotify, 'spotify');
    spotify.revokeAll();
    spotify.expireAccessTokens();
    const results = await Promise.allSettled([profileOn(a, sessionId), profileOn(b, sessionId)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((await b.failure(ProfileDocument, { provider: 'spotify', sessionId })).code).toBe('SESSION_NOT_FOUND');
    // The session's connection, pair fingerprint and lock are gone from Redis.
    const tag = `{${createHash('sha256').update(sessionId).digest('base64url')}}`;
    const left = (await redisKeys(env.STORE_NAMESPACE!)).filter((k) => k.key.includes(tag)).map((k) => k.key.split('::')[1]);
    expect(left).toEqual([expect.stringMatching(/^session:/)]);
  });
});
