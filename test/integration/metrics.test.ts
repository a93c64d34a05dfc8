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

describe('GET /metrics', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
    gw = await startTestGateway(spotify.env());
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });
  const scrape = async () => {
    const res = await fetch(`${gw.url}/metrics`);
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
