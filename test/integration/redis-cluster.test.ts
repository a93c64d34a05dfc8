import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientError } from 'graphql-request';
import { redisServerAvailable, startRedisCluster, type RedisCluster, type StoredKey } from '../cluster/redis-cluster.js';
import { startFakeGoogle, startFakeSpotify, type FakeGoogle, type FakeSpotify, type RecordedRequest } from '../fakes/index.js';
import {
  CompleteAuthDocument,
  DisconnectDocument,
  EndSessionDocument,
  ProfileDocument,
  SessionDocument,
  StartAuthDocument,
} from '../generated/graphql.js';
import { authorizeAt, connect, startTestGateway, testKey, CookieJar, type TestGateway } from './harness.js';

/** The hash tag of a handle's keys: the gateway stores `kind:{base64url(sha256(handle))}[:suffix]`. */
const tagOf = (handle: string) => `{${createHash('sha256').update(handle).digest('base64url')}}`;

/** Every secret a fake provider has seen go by: bearer tokens, codes, refresh tokens, revoked tokens. */
function secretsSeenBy(requests: RecordedRequest[]): string[] {
  const found = new Set<string>();
  for (const r of requests) {
    const auth = r.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) found.add(auth.slice('Bearer '.length));
    const form = new URLSearchParams(r.body);
    for (const name of ['code', 'code_verifier', 'refresh_token', 'token', 'access_token']) {
      const value = form.get(name);
      if (value) found.add(value);
    }
  }
  return [...found];
}

const codeOf = (reason: unknown) =>
  reason instanceof ClientError ? String(reason.response.errors?.[0]?.extensions?.code) : `not a GraphQL error: ${String(reason)}`;

describe('two gateway replicas on a three-master Redis Cluster', () => {
  const namespace = `gateway-cluster-${randomBytes(6).toString('hex')}`;
  let cluster: RedisCluster;
  let spotify: FakeSpotify;
  let google: FakeGoogle;
  let a: TestGateway;
  let b: TestGateway;
  let enabled = true;

  /** Every key of this run's namespace, on every master. */
  const stored = () => cluster.keys(`${namespace}*`);
  const keysOf = async (handle: string) => (await stored()).filter((row) => row.key.includes(tagOf(handle)));

  beforeAll(async () => {
    enabled = redisServerAvailable();
    if (!enabled) return;
    [cluster, spotify, google] = await Promise.all([
      startRedisCluster(),
      startFakeSpotify({ rotateRefreshTokens: true }),
      startFakeGoogle(),
    ]);
    // Both replicas sit behind one public URL and share the encryption key, as a deployment would.
    const env = {
      REDIS_CLUSTER_NODES: cluster.nodes,
      STORE_NAMESPACE: namespace,
      TOKEN_ENCRYPTION_KEY: testKey(),
      PUBLIC_URL: 'http://127.0.0.1:4999',
      ...spotify.env(),
      ...google.env(),
    };
    // One browser reaches both, with the same cookies.
    const jar = new CookieJar();
    [a, b] = await Promise.all([startTestGateway(env, { jar }), startTestGateway(env, { jar })]);
  });
  afterAll(async () => {
    if (!enabled) return;
    // Gateways first: a cluster client whose nodes vanish keeps reconnecting.
    await Promise.all([a?.close(), b?.close(), spotify?.close(), google?.close()]);
    await cluster?.stop();
  });
  const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));

  live('both replicas report ready against the cluster', async () => {
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
  });

  live('a flow started on replica A completes on replica B, and both serve the profile', async () => {
    const { startAuth, code, state } = await authorizeAt(a, google, 'google');
    const [stateKey] = await keysOf(startAuth.state);
    expect(stateKey?.key).toBe(`${namespace}::state:${tagOf(startAuth.state)}`);
    expect(stateKey!.pttl).toBeGreaterThan(0);
    expect(stateKey!.pttl).toBeLessThanOrEqual(600_000);

    const { completeAuth } = await b.request(CompleteAuthDocument, { provider: 'google', code, state });
    expect(completeAuth.provider).toBe('google');
    const fromA = await a.request(ProfileDocument, { provider: 'google', sessionId: completeAuth.sessionId });
    const fromB = await b.request(ProfileDocument, { provider: 'google', sessionId: completeAuth.sessionId });
    expect(fromA.profile.id).toBe(fromB.profile.id);
    expect(fromA.profile.email).toEqual(expect.stringContaining('@'));
    // The state was claimed: its key is gone from the cluster.
    expect(await keysOf(startAuth.state)).toEqual([]);
  });

  live("a second provider links into the session, and the session's keys share one hash slot", async () => {
    const first = await connect(a, google, 'google');
    const second = await connect(b, spotify, 'spotify', { sessionId: first.sessionId });
    expect(second.sessionId).toBe(first.sessionId);

    for (const gw of [a, b]) {
      const { session } = await gw.request(SessionDocument, { sessionId: first.sessionId });
      expect(session.connections.map((c) => c.provider).sort()).toEqual(['google', 'spotify']);
      expect(session.expiresAt).toBe(first.sessionExpiresAt);
    }

    // Every key the session owns (whatever its kind) carries the session's hash tag.
    const rows = await keysOf(first.sessionId);
    const tag = tagOf(first.sessionId);
    expect(rows.map((r) => r.key)).toEqual(
      expect.arrayContaining([`${namespace}::session:${tag}`, `${namespace}::conn:${tag}:google`, `${namespace}::conn:${tag}:spotify`]),
    );
    const slots = await Promise.all(rows.map((r) => cluster.keyslot(r.key)));
    expect(new Set(slots).size).toBe(1);
    expect(new Set(rows.map((r) => r.port)).size).toBe(1);
    // One MGET over the session's keys is legal on a cluster only when they share a slot.
    const mget = await cluster.cli('mget', ...rows.map((r) => r.key));
    expect(mget).not.toMatch(/CROSSSLOT/);
    expect(mget.split('\n').filter(Boolean)).toHaveLength(rows.length);
  });

  live('concurrent completeAuth calls with one state on both replicas: exactly one succeeds', async () => {
    const { code, state } = await authorizeAt(a, spotify, 'spotify');
    const vars = { provider: 'spotify', code, state };
    const results = await Promise.allSettled([a, b, a, b, a, b].map((gw) => gw.request(CompleteAuthDocument, vars)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => codeOf(r.reason));
    expect(lost).toEqual(Array.from({ length: 5 }, () => 'INVALID_STATE'));
    // Only the winner exchanged the code at the provider.
    expect(spotify.tokenRequests('authorization_code').filter((r) => new URLSearchParams(r.body).get('code') === code)).toHaveLength(1);
  });

  live('an expired access token is refreshed once, and the other replica reads the refreshed record', async () => {
    const session = await connect(a, spotify, 'spotify');
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    const fromB = await b.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
    expect(fromB.profile.provider).toBe('spotify');
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
    // A finds the new access token in the cluster: no second refresh.
    const fromA = await a.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
    expect(fromA.profile.id).toBe(fromB.profile.id);
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
    // The rewritten connection still expires with its session.
    const conn = (await keysOf(session.sessionId)).find((r) => r.key === `${namespace}::conn:${tagOf(session.sessionId)}:spotify`);
    expect(conn?.pttl).toBeGreaterThan(0);
  });

  live('concurrent reads of an expired token on both replicas cause one refresh, and the rotated token is kept', async () => {
    const session = await connect(a, spotify, 'spotify');
    spotify.expireAccessTokens();
    const before = spotify.tokenRequests('refresh_token').length;
    spotify.failNext('token', { delayMs: 150 });
    const reads = await Promise.all(
      [a, b, a, b, a, b, a, b].map((gw) => gw.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId })),
    );
    expect(reads.every((r) => r.profile.provider === 'spotify')).toBe(true);
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);
    // Spotify rotated the refresh token: the replica that did not refresh must still hold the new one.
    spotify.expireAccessTokens();
    for (const gw of [b, a]) {
      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
      expect(profile.provider).toBe('spotify');
    }
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(2);
  });

  live('every key has a TTL, and disconnect and endSession remove the keys from every node', async () => {
    const first = await connect(a, google, 'google');
    await connect(b, spotify, 'spotify', { sessionId: first.sessionId });
    const sessionTtlMs = new Date(first.sessionExpiresAt).getTime() - Date.now();
    const tag = tagOf(first.sessionId);
    const present = await keysOf(first.sessionId);
    expect(present.map((r) => r.key)).toEqual(
      expect.arrayContaining([`${namespace}::session:${tag}`, `${namespace}::conn:${tag}:google`, `${namespace}::conn:${tag}:spotify`]),
    );
    for (const row of present) {
      expect(row.pttl).toBeGreaterThan(0);
      expect(row.pttl).toBeLessThanOrEqual(sessionTtlMs + 5000);
    }

    expect((await b.request(DisconnectDocument, { provider: 'spotify', sessionId: first.sessionId })).disconnect).toBe(true);
    const afterDisconnect = await keysOf(first.sessionId);
    // Nothing of the Spotify connection is left on any node; the rest of the session is, still expiring.
    expect(afterDisconnect.map((r) => r.key).filter((key) => key.endsWith(':spotify'))).toEqual([]);
    expect(afterDisconnect.map((r) => r.key)).toEqual(
      expect.arrayContaining([`${namespace}::session:${tag}`, `${namespace}::conn:${tag}:google`]),
    );
    for (const row of afterDisconnect) expect(row.pttl).toBeGreaterThan(0);

    expect((await a.request(EndSessionDocument, { sessionId: first.sessionId })).endSession).toBe(true);
    expect(await keysOf(first.sessionId)).toEqual([]);
    expect((await b.failure(SessionDocument, { sessionId: first.sessionId })).code).toBe('SESSION_NOT_FOUND');
  });

  live('keys and values on the cluster hold no session id, state, code or token in plain text', async () => {
    const session = await connect(a, google, 'google');
    await connect(b, spotify, 'spotify', { sessionId: session.sessionId });
    await b.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
    await a.request(ProfileDocument, { provider: 'google', sessionId: session.sessionId });
    // Pending states too, enough of them that the keys land on more than one master.
    const pending = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).request(StartAuthDocument, { provider: 'spotify' })),
    );

    const rows: StoredKey[] = await stored();
    expect(rows.length).toBeGreaterThanOrEqual(3 + pending.length);
    expect(new Set(rows.map((r) => r.port)).size).toBeGreaterThan(1);
    for (const row of rows) expect(row.pttl).toBeGreaterThan(0);

    const dump = JSON.stringify(rows);
    const secrets = [
      session.sessionId,
      ...pending.map((p) => p.startAuth.state),
      ...secretsSeenBy(spotify.requests),
      ...secretsSeenBy(google.requests),
      spotify.clientSecret,
      google.clientSecret,
    ];
    expect(secrets.length).toBeGreaterThan(pending.length + 4);
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});
