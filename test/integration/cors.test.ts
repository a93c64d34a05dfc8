import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startTestGateway, type TestGateway } from './harness.js';

/** What Apollo Client 4 sends cross-origin with `clientAwareness` and a bearer header (Fetch standard, CORS preflight). */
const APOLLO_CLIENT_HEADERS = 'content-type, apollographql-client-name, apollographql-client-version, authorization';

describe('CORS for a frontend on another origin', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  const preflight = (origin: string, headers = 'content-type') =>
    fetch(`${gw!.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
    });

  it("allows Apollo Client's own headers and authorization, with credentials, for a listed origin", async () => {
    gw = await startTestGateway({ CORS_ORIGINS: 'http://127.0.0.1:5173' });
    const res = await preflight('http://127.0.0.1:5173', APOLLO_CLIENT_HEADERS);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/\s*,\s*/);
    for (const header of APOLLO_CLIENT_HEADERS.split(', ')) expect(allowed).toContain(header);
    expect(res.headers.get('vary')).toMatch(/origin/i);

    const post = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { id } }' }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(post.headers.get('access-control-allow-credentials')).toBe('true');
    expect(post.headers.get('vary')).toMatch(/origin/i);
  });

  it('allows the extra headers of CORS_ALLOWED_HEADERS', async () => {
    gw = await startTestGateway({ CORS_ORIGINS: 'http://app.test', CORS_ALLOWED_HEADERS: 'X-Request-Id' });
    const allowed = (await preflight('http://app.test', 'x-request-id')).headers.get('access-control-allow-headers') ?? '';
    expect(allowed.split(/\s*,\s*/)).toContain('x-request-id');
  });

  it('never sends credentials with *', async () => {
    gw = await startTestGateway({ CORS_ORIGINS: '*' });
    const res = await preflight('http://anywhere.test');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('tells a refused origin, in JSON, to be listed in CORS_ORIGINS (403 for the preflight and the request)', async () => {
    gw = await startTestGateway({ CORS_ORIGINS: 'http://127.0.0.1:5173' });
    const refused = await preflight('http://localhost:5173');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(await refused.json()).toEqual({
      error: 'CORS_ORIGIN_NOT_ALLOWED',
      message: expect.stringContaining('list it in CORS_ORIGINS (e.g. CORS_ORIGINS=http://localhost:5173)'),
    });
    const request = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { id } }' }),
    });
    expect(request.status).toBe(403);
    expect(((await request.json()) as { message: string }).message).toContain('CORS_ORIGINS');
  });

  it("lets the gateway's own pages call it (Origin of PUBLIC_URL, or of the Host they were loaded from)", async () => {
    gw = await startTestGateway({ CORS_ORIGINS: 'http://app.test' });
    const { port } = new URL(gw.url);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${gw!.url}/graphql`,
          { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ query: '{ providers { id } }' }));
      });
      expect([host, status]).toEqual([host, 200]);
    }
  });
});

describe('the favicon', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
  });

  it('is an SVG linked from the example page, and /favicon.ico is not a 404', async () => {
    gw = await startTestGateway({ EXAMPLE_PAGE: 'true' });
    const page = await (await fetch(`${gw.url}/`)).text();
    expect(page).toContain('<link rel="icon" href="/favicon.svg"');
    const svg = await fetch(`${gw.url}/favicon.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect((await fetch(`${gw.url}/favicon.ico`)).status).toBe(204);
  });
});
