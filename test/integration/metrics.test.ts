import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument, SessionDocument } from '../generated/graphql.js';
import { authorizeAt, startTestGateway, type TestGateway } from './harness.js';

/** The value of one sample of the exposition text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const METRICS_TOKEN = 'metrics-test-token-0123456789';

describe('GET /metrics', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
    gw = await startTestGateway({ ...spotify.env(), METRICS_TOKEN });
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });
  const scrape = async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('counts requests by operation and outcome, upstream calls, refreshes and state rejections', async () => {
    const { code, state } = await authorizeAt(gw, spotify, 'spotify');
    const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'spotify', code, state });
    await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state }); // replay
    spotify.expireAccessTokens();
    await gw.request(ProfileDocument, { provider: 'spotify', sessionId: completeAuth.sessionId });
    await gw.failure(SessionDocument, { sessionId: 'B'.repeat(43) });

    const text = await scrape();
    expect(sample(text, 'gateway_requests_total', { operation: 'completeAuth', outcome: 'OK' })).toBe(1);
    expect(sample(text, 'gateway_requests_total', { operation: 'completeAuth', outcome: 'INVALID_STATE' })).toBe(1);
    expect(sample(text, 'gateway_requests_total', { operation: 'session', outcome: 'SESSION_NOT_FOUND' })).toBe(1);
    expect(sample(text, 'gateway_request_duration_seconds_count', { operation: 'profile' })).toBe(1);
    expect(sample(text, 'gateway_upstream_requests_total', { provider: 'spotify', outcome: '2xx' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'gateway_upstream_request_duration_seconds_count', { provider: 'spotify', outcome: '2xx' })).toBeGreaterThanOrEqual(
      3,
    );
    expect(sample(text, 'gateway_token_refreshes_total', { provider: 'spotify', result: 'succeeded' })).toBe(1);
    expect(sample(text, 'gateway_state_rejections_total', { reason: 'unknown' })).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');

    // Nothing secret in any label or value.
    const bearer = spotify.requests.find((r) => r.path === '/v1/me')!.headers.authorization!.split(' ')[1]!;
    for (const secret of [completeAuth.sessionId, code, state, bearer, spotify.clientSecret]) expect(text).not.toContain(secret);
  });

  it('names operations by root field, so a client cannot invent label values', async () => {
    await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query AnyNameAtAll123 { providers { id } }', operationName: 'AnyNameAtAll123' }),
    });
    await fetch(`${gw.url}/no/such/path/${'x'.repeat(50)}`);
    const text = await scrape();
    expect(text).not.toContain('AnyNameAtAll123');
    expect(text).not.toContain('xxxxxxxxxx');
    expect(sample(text, 'gateway_requests_total', { operation: 'providers', outcome: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gateway_requests_total', { operation: 'not_found' })).toBe(1);
  });
});

describe('who may read /metrics (SEC-11)', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
  });
  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway(env);
    gateways.push(gw);
    return gw;
  };
  const get = async (url: string, authorization?: string) => {
    const res = await fetch(url, { headers: authorization ? { authorization } : {} });
    return { status: res.status, text: await res.text() };
  };

  it('is a 404 on the public port when no METRICS_TOKEN is set, in production too', async () => {
    for (const env of [{}, { NODE_ENV: 'production' }] as Array<Record<string, string>>) {
      const gw = await start(env);
      const res = await get(`${gw.url}/metrics`);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toMatchObject({ error: 'NOT_FOUND' });
      expect(res.text).not.toContain('nodejs_version_info');
      expect((await get(`${gw.url}/metrics`, 'Bearer anything-at-all-here')).status).toBe(404);
    }
  });

  it('with METRICS_TOKEN: 404 without it or with a wrong one, 200 with the right Bearer token', async () => {
    const gw = await start({ METRICS_TOKEN });
    for (const authorization of [
      undefined,
      `Bearer ${METRICS_TOKEN}x`,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      `Basic ${METRICS_TOKEN}`,
      METRICS_TOKEN,
    ]) {
      const res = await get(`${gw.url}/metrics`, authorization);
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 404 });
      expect(res.text).not.toContain('process_resident_memory_bytes');
    }
    const ok = await get(`${gw.url}/metrics`, `Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('process_resident_memory_bytes');
    expect((await get(`${gw.url}/metrics`, `bearer  ${METRICS_TOKEN}`)).status).toBe(200);
  });

  it('on METRICS_PORT: served on loopback without a token, and nothing else is served there', async () => {
    const gw = await start({ METRICS_PORT: '0' });
    const metricsUrl = gw.gateway.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(gw.url).port);
    const res = await get(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('gateway_requests_total');
    expect((await get(`${metricsUrl}/graphql`)).status).toBe(404);
    expect((await get(`${metricsUrl}/healthz`)).status).toBe(404);
    // The public port still hides it.
    expect((await get(`${gw.url}/metrics`)).status).toBe(404);
  });

  it('refuses a METRICS_TOKEN too short to be a secret', async () => {
    await expect(startTestGateway({ METRICS_TOKEN: 'short' })).rejects.toThrow(/METRICS_TOKEN: must be at least 16 characters/);
  });
});
