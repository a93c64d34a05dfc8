import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientError, GraphQLClient } from 'graphql-request';
import { startFakeGithub, type FakeGithub } from '../fakes/index.js';
import { CallProviderDocument, ProviderRequestDocument } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

describe('callProvider, retries, timeouts and limits', () => {
  let github: FakeGithub;
  let gw: TestGateway;
  let sessionId: string;

  beforeAll(async () => {
    github = await startFakeGithub({ expiringTokens: true });
    gw = await startTestGateway({
      ...github.env(),
      GITHUB_PROXY_ALLOW: 'GET /user, GET /user/** POST /user/repos',
      GITHUB_SCOPES: 'read:user user:email public_repo',
      UPSTREAM_TIMEOUT_MS: '400',
      // Room above the proxy's own 256 KiB bound on bodies, so that bound is the one under test.
      GRAPHQL_MAX_BODY_BYTES: '1048576',
    });
    ({ sessionId } = await connect(gw, github, 'github'));
  });
  afterAll(async () => {
    await gw.close();
    await github.close();
  });

  const create = (name: unknown) =>
    gw.request(CallProviderDocument, { provider: 'github', sessionId, method: 'POST', request: { path: '/user/repos' }, body: { name } });

  it('P_PROXY_ALLOW replaces the shipped list: a write on it reaches the provider once, as JSON', async () => {
    const { callProvider } = await create('new-repo');
    expect(callProvider).toMatchObject({ status: 201, ok: true, credential: 'USER', json: { full_name: 'octocat/new-repo' } });
    const sent = github.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/user/repos');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent[0]!.body)).toEqual({ name: 'new-repo' });
    // The provider's refusal of a bad body is data too.
    expect((await create('')).callProvider).toMatchObject({ status: 422, ok: false });
    // The shipped list's reads it no longer names are refused.
    const failure = await gw.failure(ProviderRequestDocument, { provider: 'github', sessionId, request: { path: '/rate_limit' } });
    expect(failure.code).toBe('PROXY_NOT_ALLOWED');
  });

  it('a POST is never retried: one 503 is PROVIDER_UNAVAILABLE after one request', async () => {
    const before = github.count('/api/v3/user/repos', 'POST');
    github.failNext('create', { status: 503 }, 3);
    const failure = await gw.failure(CallProviderDocument, {
      provider: 'github',
      sessionId,
      method: 'POST',
      request: { path: '/user/repos' },
      body: { name: 'x' },
    });
    expect(failure.code).toBe('PROVIDER_UNAVAILABLE');
    expect(github.count('/api/v3/user/repos', 'POST') - before).toBe(1);
    github.failNext('create', 'reset');
    expect(
      (
        await gw.failure(CallProviderDocument, {
          provider: 'github',
          sessionId,
          method: 'POST',
          request: { path: '/user/repos' },
          body: { name: 'y' },
        })
      ).code,
    ).toBe('PROVIDER_UNAVAILABLE');
    expect(github.count('/api/v3/user/repos', 'POST') - before).toBe(2);
  });

  it('a body over 256 KiB is refused before anything is sent', async () => {
    const before = github.count('/api/v3/user/repos', 'POST');
    const failure = await gw.failure(CallProviderDocument, {
      provider: 'github',
      sessionId,
      method: 'POST',
      request: { path: '/user/repos' },
      body: { name: 'x', description: 'd'.repeat(256 * 1024) },
    });
    expect(failure).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { fields: ['body'] } });
    expect(github.count('/api/v3/user/repos', 'POST')).toBe(before);
  });

  it('a hanging provider costs one timeout budget, not one per retry', async () => {
    github.failNext('repos', 'hang');
    const before = github.count('/api/v3/user/repos');
    const started = Date.now();
    const failure = await gw.failure(ProviderRequestDocument, { provider: 'github', sessionId, request: { path: '/user/repos' } });
    const elapsed = Date.now() - started;
    expect(failure.code).toBe('PROVIDER_UNAVAILABLE');
    expect(github.count('/api/v3/user/repos') - before).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    // undici's own timeout runs on a clock of half-second ticks (about 1100 ms here); the call's deadline is exact.
    expect(elapsed).toBeLessThan(850);
  });

  it('a 401 on a token believed valid: one refresh, one replay, the call succeeds', async () => {
    github.expireAccessTokens();
    const refreshes = github.tokenRequests('refresh_token').length;
    const calls = await Promise.all(
      Array.from({ length: 20 }, () => gw.request(ProviderRequestDocument, { provider: 'github', sessionId, request: { path: '/user' } })),
    );
    expect(calls.every((c) => c.providerRequest.status === 200)).toBe(true);
    expect(github.tokenRequests('refresh_token').length - refreshes).toBe(1);
  });

  it('at most 5 provider calls per operation, aliases and fragments included, refused before any call', async () => {
    const before = github.requests.length;
    const field = (i: number) => `c${i}: providerRequest(provider: "github", sessionId: $s, request: { path: "/user" }) { status }`;
    const client = new GraphQLClient(`${gw.url}/graphql`);
    const six = `query Six($s: String) { ${[1, 2, 3, 4, 5, 6].map(field).join(' ')} }`;
    const error = await client.request(six, { s: sessionId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).response.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const viaFragment = `query F($s: String) { ...A ...A } fragment A on Query { ${[1, 2, 3].map(field).join(' ')} }`;
    const fragmentError = await client.request(viaFragment, { s: sessionId }).catch((e: unknown) => e);
    expect((fragmentError as ClientError).response.errors![0]!.message).toMatch(/at most 5 provider API calls/);
    expect(github.requests.length).toBe(before);
    const five = await client.request<Record<string, { status: number }>>(
      `query Five($s: String) { ${[1, 2, 3, 4, 5].map(field).join(' ')} }`,
      {
        s: sessionId,
      },
    );
    expect(Object.values(five).map((v) => v.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('PROXY_RATE_LIMIT bounds the calls of one session per minute: RATE_LIMITED with retryAfter', async () => {
    // A gateway of its own, with the default timeout: the window opens at its first call, and a
    // loaded machine cannot turn a slow answer into a miscount.
    const limited = await startTestGateway({ ...github.env(), PROXY_RATE_LIMIT: '10' });
    try {
      const session = (await connect(limited, github, 'github')).sessionId;
      const read = () => limited.request(ProviderRequestDocument, { provider: 'github', sessionId: session, request: { path: '/user' } });
      for (let i = 0; i < 10; i++) expect((await read()).providerRequest.status).toBe(200);
      const before = github.count('/api/v3/user');
      const failure = await limited.failure(ProviderRequestDocument, {
        provider: 'github',
        sessionId: session,
        request: { path: '/user' },
      });
      expect(failure).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(failure.extensions.retryAfter).toBeGreaterThan(0);
      expect(github.count('/api/v3/user')).toBe(before);
      // Another session has its own budget.
      const other = (await connect(limited, github, 'github')).sessionId;
      const { providerRequest } = await limited.request(ProviderRequestDocument, {
        provider: 'github',
        sessionId: other,
        request: { path: '/user' },
      });
      expect(providerRequest.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
