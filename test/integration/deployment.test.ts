import { afterEach, describe, expect, it } from '@jest/globals';
import { ProvidersDocument } from '../generated/graphql.js';
import { GRAPHQL_RESPONSE, startTestGateway, type TestGateway } from './harness.js';

const introspect = (gw: TestGateway) =>
  fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
    body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
  });

describe('deployment settings', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('turns introspection off in production, as a BAD_USER_INPUT error', async () => {
    gw = await startTestGateway({ NODE_ENV: 'production' });
    const res = await introspect(gw);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
  });

  it('lets GRAPHQL_INTROSPECTION turn it back on in production', async () => {
    gw = await startTestGateway({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
    expect((await introspect(gw)).status).toBe(200);
  });

  it('starts the demo provider only when no real provider is configured', async () => {
    const providerIds = async (env: Record<string, string>) => {
      gw = await startTestGateway(env);
      const { providers } = await gw.request(ProvidersDocument, {});
      await gw.close();
      gw = undefined;
      return providers.map((p) => p.id);
    };
    expect(await providerIds({ DEMO_PROVIDER: 'true' })).toContain('demo');
    expect(await providerIds({ DEMO_PROVIDER: 'true', GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' })).not.toContain('demo');
    expect(await providerIds({ DEMO_PROVIDER: 'true', NODE_ENV: 'production' })).not.toContain('demo');
  });

  it('marks every GraphQL answer, success or error, as not to be stored by any cache', async () => {
    gw = await startTestGateway();
    const post = (query: string) =>
      fetch(`${gw!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
        body: JSON.stringify({ query }),
      });
    const ok = await post('{ providers { id } }');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const failed = await post(`{ session(sessionId: "${'A'.repeat(43)}") { sessionId } }`);
    expect(failed.status).toBe(401);
    expect(failed.headers.get('cache-control')).toBe('no-store');
  });

  it('answers CORS preflights for configured origins only', async () => {
    gw = await startTestGateway({ CORS_ORIGINS: 'http://app.test:3000, http://admin.test' });
    const preflight = (origin: string) =>
      fetch(`${gw!.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight('http://app.test:3000');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.test:3000');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
    const refused = await preflight('http://evil.test');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
