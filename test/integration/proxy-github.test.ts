import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, type FakeGithub } from '../fakes/index.js';
import { CallProviderDocument, ProviderRequestDocument, SessionDocument, type ProviderRequestInput } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';
import { RecordingServer, tokensSeenBy } from './proxy-helpers.js';

describe('providerRequest against GitHub', () => {
  let github: FakeGithub;
  let codeload: RecordingServer;
  let gw: TestGateway;
  let sessionId: string;
  const answers: string[] = [];
  const read = async (request: ProviderRequestInput, session = sessionId) => {
    const { providerRequest } = await gw.request(ProviderRequestDocument, { provider: 'github', sessionId: session, request });
    answers.push(JSON.stringify(providerRequest));
    return providerRequest;
  };
  const refused = async (request: ProviderRequestInput) => {
    const failure = await gw.failure(ProviderRequestDocument, { provider: 'github', sessionId, request });
    answers.push(JSON.stringify(failure));
    return failure;
  };
  const apiCalls = () => github.requests.filter((r) => r.path.startsWith('/api/v3/')).length;

  beforeAll(async () => {
    [github, codeload] = await Promise.all([startFakeGithub(), new RecordingServer().listen()]);
    github.codeloadUrl = codeload.url;
    gw = await startTestGateway(github.env());
    ({ sessionId } = await connect(gw, github, 'github'));
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([github.close(), codeload.close()]);
  });

  it("reads the user's repositories with the connection's token and GitHub's own headers", async () => {
    const page = await read({ path: '/user/repos' });
    expect(page).toMatchObject({ provider: 'github', credential: 'USER', status: 200, ok: true, notModified: false });
    expect(page.json).toHaveLength(30);
    expect((page.json as Array<{ full_name: string }>)[0]!.full_name).toBe('octocat/repo-1');
    expect(page.contentType).toMatch(/^application\/json/);
    expect(page.text).toBeNull();
    expect(page.rateLimit).toMatchObject({ limit: 5000, remaining: expect.any(Number) });
    const sent = github.requests.at(-1)!;
    expect(sent.path).toBe('/api/v3/user/repos');
    expect(sent.headers.authorization).toMatch(/^Bearer gho_/);
    expect(sent.headers['user-agent']).toBe('oauth-graphql-gateway');
    expect(sent.headers['x-github-api-version']).toBe('2022-11-28');
  });

  it('pages with Link: the cursor reads the next page, and the last page has none', async () => {
    const first = await read({ path: '/user/repos', query: [{ name: 'per_page', value: '20' }] });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await read({ path: '/ignored', after: first.pageInfo.nextCursor });
    expect((second.json as Array<{ name: string }>).map((r) => r.name)[0]).toBe('repo-21');
    expect(github.requests.at(-1)!.query.get('page')).toBe('2');
    // rel="next" is not the first link on a middle page.
    expect(second.headers.find((h) => h.name === 'link')!.value).toMatch(/^<[^>]+>; rel="prev"/);
    const third = await read({ path: '/user/repos', after: second.pageInfo.nextCursor });
    expect(third.json).toHaveLength(5);
    expect(third.pageInfo).toEqual({ hasNextPage: false, nextCursor: null });
  });

  it('a next link to another host ends paging instead of carrying the token there', async () => {
    github.linkBase = `${codeload.url}/api/v3`;
    try {
      const page = await read({ path: '/user/repos' });
      expect(page.pageInfo).toEqual({ hasNextPage: false, nextCursor: null });
    } finally {
      github.linkBase = undefined;
    }
    expect(codeload.requests).toEqual([]);
  });

  it('a cursor is re-checked like any request: forged paths and other providers are refused', async () => {
    const forge = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const before = apiCalls();
    expect((await refused({ path: '/user', after: forge({ p: 'github', m: '/admin/users', q: [] }) })).code).toBe('PROXY_NOT_ALLOWED');
    expect((await refused({ path: '/user', after: forge({ p: 'github', m: '/user/../admin', q: [] }) })).code).toBe('BAD_USER_INPUT');
    expect((await refused({ path: '/user', after: forge({ p: 'spotify', m: '/user/repos', q: [] }) })).code).toBe('BAD_USER_INPUT');
    expect((await refused({ path: '/user', after: 'not a cursor!' })).code).toBe('BAD_USER_INPUT');
    expect(apiCalls()).toBe(before);
  });

  it("relays GitHub's JSON body as sent: a 64-bit id keeps every digit, and the answer stays one JSON document", async () => {
    // JSON.parse and JSON.stringify would round 9007199254740993123 to 9007199254740993000.
    const raw = '{"id":9007199254740993123,"full_name":"octocat/big","nested":{"ratio":1.50,"e":"\\u00e9"},"relay":"relay:x:0"}';
    github.failNext('repo', { status: 200, body: raw, headers: { 'content-type': 'application/json; charset=utf-8' } });
    const res = await gw.fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query($s: String) { providerRequest(provider: "github", sessionId: $s, request: { path: "/repos/octocat/big" }) { status json text } }',
        variables: { s: sessionId },
      }),
    });
    const text = await res.text();
    expect(text.trimEnd()).toBe(`{"data":{"providerRequest":{"status":200,"json":${raw},"text":null}}}`);
    expect((JSON.parse(text) as { data: { providerRequest: { json: { full_name: string } } } }).data.providerRequest.json.full_name).toBe(
      'octocat/big',
    );
  });

  it('conditional requests pass through: If-None-Match → notModified', async () => {
    const first = await read({ path: '/user/repos' });
    const etag = first.headers.find((h) => h.name === 'etag')!.value;
    const again = await read({ path: '/user/repos', headers: [{ name: 'If-None-Match', value: etag }] });
    expect(again).toMatchObject({ status: 304, ok: false, notModified: true, json: null, text: null });
    expect(github.requests.at(-1)!.headers['if-none-match']).toBe(etag);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/user'],
    ['//host', '//evil.example/user'],
    ['a dot segment', '/user/../applications'],
    ['an encoded dot segment', '/user/%2e%2e/applications'],
    ['an encoded slash with dots', '/user/..%2Fapplications'],
    ['double encoding', '/user/%252e%252e/applications'],
    ['a backslash', '/user\\..\\applications'],
    ['a control character', '/user%0d%0aX-Injected:%201'],
    ['a query string in the path', '/user?access_token=leak'],
    ['an over-long path', `/repos/${'a'.repeat(2100)}`],
  ])('refuses %s with BAD_USER_INPUT, sending nothing', async (_what, path) => {
    const before = apiCalls();
    const failure = await refused({ path });
    expect(failure).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { fields: ['request.path'] } });
    expect(apiCalls()).toBe(before);
  });

  it('keeps %2F inside a segment encoded', async () => {
    const answer = await read({ path: '/repos/octocat%2Frepo-1' });
    expect(answer.status).toBe(404); // the provider's 404 is data
    expect(github.requests.at(-1)!.path).toBe('/api/v3/repos/octocat%2Frepo-1');
  });

  it('refuses what the allow-list does not name, naming the method and path', async () => {
    const before = apiCalls();
    const failure = await refused({ path: '/applications/github-client/grant' });
    expect(failure).toMatchObject({ code: 'PROXY_NOT_ALLOWED', status: 403 });
    expect(failure.message).toContain('GET /applications/github-client/grant');
    const write = await gw.failure(CallProviderDocument, {
      provider: 'github',
      sessionId,
      method: 'POST',
      request: { path: '/user/repos' },
      body: { name: 'x' },
    });
    expect(write.code).toBe('PROXY_NOT_ALLOWED');
    expect(write.message).toContain('POST /user/repos');
    expect(apiCalls()).toBe(before);
  });

  it.each([
    ['authorization', 'Bearer other', 'PROXY_NOT_ALLOWED'],
    ['Cookie', 'a=b', 'PROXY_NOT_ALLOWED'],
    ['host', 'evil.example', 'PROXY_NOT_ALLOWED'],
    ['x-forwarded-for', '10.0.0.1', 'PROXY_NOT_ALLOWED'],
    ['transfer-encoding', 'chunked', 'PROXY_NOT_ALLOWED'],
    ['user-agent', 'mine', 'PROXY_NOT_ALLOWED'],
    ['x-custom', '1', 'BAD_USER_INPUT'],
    ['content-type', 'application/json', 'BAD_USER_INPUT'],
    ['accept', 'application/json\r\nx-injected: 1', 'BAD_USER_INPUT'],
    ['bad name', 'x', 'BAD_USER_INPUT'],
  ])('refuses the request header %s (%s) with %s, sending nothing', async (name, value, code) => {
    const before = apiCalls();
    const failure = await refused({ path: '/user', headers: [{ name, value }] });
    expect(failure.code).toBe(code);
    if (code === 'PROXY_NOT_ALLOWED') expect(failure.message).toContain(name.toLowerCase());
    expect(apiCalls()).toBe(before);
  });

  it("sends allow-listed headers and the provider's own, and sets authorization itself", async () => {
    await read({
      path: '/user',
      headers: [
        { name: 'Accept', value: 'application/vnd.github.raw+json' },
        { name: 'x-github-api-version', value: '2026-03-10' },
      ],
    });
    const sent = github.requests.at(-1)!.headers;
    expect(sent.accept).toBe('application/vnd.github.raw+json');
    expect(sent['x-github-api-version']).toBe('2026-03-10');
    expect(sent.authorization).toMatch(/^Bearer gho_/);
  });

  it('passes back allow-listed response headers only', async () => {
    const answer = await read({ path: '/user' });
    const names = answer.headers.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(['etag', 'x-ratelimit-remaining', 'x-github-request-id', 'x-oauth-scopes']));
    for (const never of [
      'access-control-allow-origin',
      'strict-transport-security',
      'x-frame-options',
      'content-security-policy',
      'connection',
      'keep-alive',
      'content-length',
      'transfer-encoding',
      'date',
    ]) {
      expect(names).not.toContain(never);
    }
    github.failNext('profile', {
      status: 200,
      body: { login: 'octocat' },
      headers: { 'set-cookie': 'session=abc; Secure', 'x-secret': 'y' },
    });
    const cookie = await read({ path: '/user' });
    expect(cookie.headers.map((h) => h.name)).not.toEqual(expect.arrayContaining(['set-cookie']));
    expect(cookie.headers.map((h) => h.name)).not.toContain('x-secret');
  });

  it('a redirect is not followed: another host is dropped, a move inside the API made relative', async () => {
    const tarball = await read({ path: '/repos/octocat/Hello-World/tarball' });
    expect(tarball.status).toBe(302);
    expect(tarball.headers.map((h) => h.name)).not.toContain('location');
    expect(codeload.requests).toEqual([]);
    const moved = await read({ path: '/repos/octocat/Old-Name' });
    expect(moved.status).toBe(301);
    expect(moved.headers.find((h) => h.name === 'location')!.value).toBe('/repositories/1296269');
    expect(github.count('/api/v3/repositories/1296269')).toBe(0);
  });

  it("the provider's 4xx is data; missing scope is INSUFFICIENT_SCOPE with the scopes GitHub accepts", async () => {
    const limited = await connect(gw, github, 'github', { scopes: ['read:user'] });
    const failure = await gw.failure(ProviderRequestDocument, {
      provider: 'github',
      sessionId: limited.sessionId,
      request: { path: '/user/emails' },
    });
    expect(failure).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403, extensions: { requiredScopes: ['user', 'user:email'] } });
    expect((await read({ path: '/repos/octocat/nope' })).status).toBe(404);
  });

  it('rate limits are PROVIDER_RATE_LIMITED with retryAfter, asked once and never waited out', async () => {
    github.failNext('repos', { status: 429, headers: { 'retry-after': '7' } });
    const before = github.count('/api/v3/user/repos');
    expect(await refused({ path: '/user/repos' })).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', extensions: { retryAfter: 7 } });
    expect(github.count('/api/v3/user/repos') - before).toBe(1);
    github.rateLimit(0);
    try {
      const failure = await refused({ path: '/user/repos' });
      expect(failure.code).toBe('PROVIDER_RATE_LIMITED');
      expect(failure.extensions.retryAfter).toBeGreaterThan(0);
    } finally {
      github.rateLimit(5000);
    }
  });

  it('GET is retried on 5xx; the answer comes after the retries', async () => {
    github.failNext('repos', { status: 503 }, 2);
    const before = github.count('/api/v3/user/repos');
    expect((await read({ path: '/user/repos' })).status).toBe(200);
    expect(github.count('/api/v3/user/repos') - before).toBe(3);
    github.failNext('repos', { status: 502 }, 3);
    expect((await refused({ path: '/user/repos' })).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('an answer that holds the token is withheld (PROVIDER_ERROR)', async () => {
    await read({ path: '/user' });
    const token = github.requests.at(-1)!.headers.authorization!.slice('Bearer '.length);
    github.failNext('profile', { status: 200, body: { echoed: token } });
    const failure = await refused({ path: '/user' });
    expect(failure.code).toBe('PROVIDER_ERROR');
    expect(JSON.stringify(failure)).not.toContain(token);
  });

  it('a grant the provider revoked is REAUTH_REQUIRED, and the call leaves the connection as it was', async () => {
    const other = await connect(gw, github, 'github');
    await read({ path: '/user' }, other.sessionId);
    github.revokeAll();
    const failure = await gw.failure(ProviderRequestDocument, {
      provider: 'github',
      sessionId: other.sessionId,
      request: { path: '/user' },
    });
    expect(failure.code).toBe('REAUTH_REQUIRED');
    const { session } = await gw.request(SessionDocument, { sessionId: other.sessionId });
    expect(session.connections.map((c) => c.provider)).toEqual(['github']);
    ({ sessionId } = await connect(gw, github, 'github')); // the shared session's grant died too
  });

  it('no answer and no log line carries a token or the client secret', () => {
    const secrets = [...tokensSeenBy(github), github.clientSecret];
    expect(secrets.length).toBeGreaterThan(3);
    const logs = gw.logs.join('\n');
    for (const secret of secrets) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    // One log line per call, path only.
    const lines = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'provider call');
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.every((l) => typeof l.path !== 'string' || !l.path.includes('?'))).toBe(true);
  });
});
