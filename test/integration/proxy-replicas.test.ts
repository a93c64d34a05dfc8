import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { ProviderRequestDocument, SessionDocument } from '../generated/graphql.js';
import { connect, redisAvailable, redisEnv, redisKeys, startTestGateway, type TestGateway } from './harness.js';

const KEY = 'replica-gateway-key-0123456789abcdefghijkl';

// Two gateway instances (each with its own in-process single-flight) sharing Redis, in front of a
// provider that rotates refresh tokens and rejects a reused one.
describe('provider API calls across replicas', () => {
  const env = redisEnv();
  let spotify: FakeSpotify;
  let a: TestGateway;
  let b: TestGateway;
  let enabled = true;

  beforeAll(async () => {
    enabled = await redisAvailable();
    if (!enabled) return;
    spotify = await startFakeSpotify({ rotateRefreshTokens: true });
    const shared = { ...env, ...spotify.env(), PUBLIC_URL: 'http://127.0.0.1:4997', SPOTIFY_APP_CREDENTIALS: 'true', GATEWAY_API_KEY: KEY };
    [a, b] = await Promise.all([startTestGateway(shared), startTestGateway(shared)]);
    // A replica's Redis client connects on first use and refuses commands until then (offline queue
    // off): one store read each, so the bursts below measure coordination, not connection set-up.
    const nobody = { sessionId: 'A'.repeat(43) };
    await Promise.all([a.failure(SessionDocument, nobody), b.failure(SessionDocument, nobody)]);
  });
  afterAll(async () => {
    if (!enabled) return;
    await Promise.all([a.close(), b.close(), spotify.close()]);
    await redisKeys(env.STORE_NAMESPACE!, true);
  });
  const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));

  live('2 replicas × 20 concurrent calls answered 401: one refresh upstream, every call replayed and answered', async () => {
    const { sessionId } = await connect(a, spotify, 'spotify');
    // The provider expires the token early: the gateway still believes it valid, and learns from the 401.
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    spotify.failNext('token', { delayMs: 300 });
    const calls = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? b : a).request(ProviderRequestDocument, { provider: 'spotify', sessionId, request: { path: '/me/playlists' } }),
      ),
    );
    expect(calls.filter((c) => c.status === 'rejected')).toEqual([]);
    expect(calls.every((c) => c.status === 'fulfilled' && c.value.providerRequest.status === 200)).toBe(true);
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
  });

  live('a token still refused after the refresh is REAUTH_REQUIRED: one refresh, no loop', async () => {
    const { sessionId } = await connect(a, spotify, 'spotify');
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    const playlists = spotify.count('/v1/me/playlists');
    // The replay is refused too (the provider's API keeps answering 401).
    spotify.failNext('playlists', { status: 401, body: { error: { status: 401, message: 'Invalid access token' } } }, 2);
    const failure = await b.failure(ProviderRequestDocument, { provider: 'spotify', sessionId, request: { path: '/me/playlists' } });
    expect(failure.code).toBe('REAUTH_REQUIRED');
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
    expect(spotify.count('/v1/me/playlists') - playlists).toBe(2);
  });

  live('the app token is fetched once for 20 concurrent calls on 2 replicas, and kept sealed in Redis', async () => {
    const before = spotify.tokenRequests('client_credentials').length;
    spotify.failNext('token', { delayMs: 300 });
    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? b : a).request(
          ProviderRequestDocument,
          {
            provider: 'spotify',
            request: {
              path: '/search',
              query: [
                { name: 'q', value: 'x' },
                { name: 'type', value: 'album' },
              ],
            },
          },
          {
            authorization: `Bearer ${KEY}`,
          },
        ),
      ),
    );
    expect(calls.every((c) => c.providerRequest.credential === 'APP' && c.providerRequest.status === 200)).toBe(true);
    expect(spotify.tokenRequests('client_credentials').length - before).toBe(1);
    const issued = spotify.requests
      .filter((r) => r.path === '/v1/search')
      .at(-1)!
      .headers.authorization!.slice('Bearer '.length);
    const stored = await redisKeys(env.STORE_NAMESPACE!);
    const app = stored.filter((k) => k.key.includes('::app:'));
    expect(app).toHaveLength(1);
    expect(app[0]!.ttl).toBeGreaterThan(0);
    expect(stored.some((k) => (k.value ?? '').includes(issued))).toBe(false);
  });
});
