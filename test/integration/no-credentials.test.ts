import { builtinProviders } from '../../src/providers/index.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProvidersDocument, SessionDocument, StartAuthDocument } from '../generated/graphql.js';
import { GRAPHQL_RESPONSE, startTestGateway, type TestGateway } from './harness.js';

describe('a gateway started with no provider credentials', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('lists the built-in providers as not configured', async () => {
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.map((p) => p.id)).toEqual(builtinProviders.map((p) => p.id));
    expect(providers.every((p) => !p.configured)).toBe(true);
    const google = providers.find((p) => p.id === 'google')!;
    expect(google).toMatchObject({ name: 'Google', protocol: 'OIDC', supportsRefresh: true, supportsRevocation: true });
    expect(google.defaultScopes).toEqual(['openid', 'email', 'profile']);
    expect(providers.find((p) => p.id === 'spotify')).toMatchObject({ protocol: 'OAUTH2', supportsRevocation: false });
    const summary = (id: string) => {
      const p = providers.find((provider) => provider.id === id)!;
      return [p.protocol, p.supportsRefresh, p.supportsRevocation].join(' ');
    };
    // Entra has no revocation endpoint; the others revoke (Slack through auth.revoke).
    expect(['microsoft-entra-id', 'apple', 'slack', 'x', 'zoom', 'notion'].map(summary)).toEqual([
      'OIDC true false',
      'OIDC true true',
      'OIDC true true',
      'OAUTH2 true true',
      'OAUTH2 true true',
      'OAUTH2 true true',
    ]);
  });

  it('refuses startAuth on an unconfigured provider with PROVIDER_NOT_CONFIGURED (400)', async () => {
    const failure = await gw.failure(StartAuthDocument, { provider: 'github' });
    expect(failure).toMatchObject({
      status: 400,
      code: 'PROVIDER_NOT_CONFIGURED',
      extensions: { provider: 'github', http: { status: 400 } },
    });
  });

  it('refuses an unknown provider with UNKNOWN_PROVIDER', async () => {
    const failure = await gw.failure(StartAuthDocument, { provider: 'myspace' });
    expect(failure).toMatchObject({ status: 400, code: 'UNKNOWN_PROVIDER' });
  });

  it('names the invalid fields with BAD_USER_INPUT', async () => {
    const failure = await gw.failure(StartAuthDocument, { provider: 'GitHub!', options: { sessionId: 'nope', scopes: ['a b'] } });
    expect(failure.status).toBe(400);
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.extensions.fields).toEqual(expect.arrayContaining(['provider', 'options.sessionId', 'options.scopes']));
  });

  it('answers SESSION_NOT_FOUND (401) for a well-formed unknown session', async () => {
    const failure = await gw.failure(SessionDocument, { sessionId: 'A'.repeat(43) });
    expect(failure).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
  });

  it('rejects a malformed document as BAD_USER_INPUT without a stack trace', async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
      body: JSON.stringify({ query: '{ providers { nope } }' }),
    });
    const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(res.status).toBe(400);
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.ts:/);
  });

  it('answers invalid JSON bodies with 400 and oversized bodies with 413', async () => {
    const bad = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'BAD_USER_INPUT' });
    const big = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(1_100_000) }),
    });
    expect(big.status).toBe(413);
  });

  it('keeps CSRF prevention on: a GET query without a preflight header is refused', async () => {
    const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ providers { id } }')}`);
    expect(res.status).toBe(400);
    const ok = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ providers { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
  });

  it('serves the Sandbox landing page to a browser', async () => {
    const res = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/sandbox/i);
  });

  it('answers health, readiness and unknown paths', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const missing = await fetch(`${gw.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('logs one line per request with operation, status and duration', async () => {
    await gw.request(ProvidersDocument, {});
    const line = gw.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .reverse()
      .find((l) => l.msg === 'request' && l.operation === 'providers');
    expect(line).toMatchObject({ method: 'POST', path: '/graphql', status: 200 });
    expect(typeof line!.durationMs).toBe('number');
  });
});
