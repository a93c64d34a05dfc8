import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GRAPHQL_RESPONSE, startTestGateway, type TestGateway } from './harness.js';

/** The review's document: 300 chained fragments, ~13 KiB, under the token limit (~2 700 tokens). */
const chain = (n: number) =>
  `{ ...f0 } ${Array.from({ length: n }, (_, i) => `fragment f${i} on Query { __typename${i + 1 < n ? ` ...f${i + 1}` : ''} }`).join(' ')}`;

async function post(gw: TestGateway, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { errors?: Array<{ message: string; extensions: { code: string } }> },
  };
}

/** A plain keep-alive POST: the lightest client, so that the gateway's own work dominates the CPU measured. */
function postLight(gw: TestGateway, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU time (user + system, µs) this process spends on one of `count` sequential runs of `run`: the median run. */
async function cpuPerRun(count: number, run: () => Promise<unknown>): Promise<number> {
  // Warm-up: compiled paths, keep-alive connection.
  for (let i = 0; i < 3; i++) await run();
  const runs: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    runs.push(used.user + used.system);
  }
  // The median run: the process's CPU time also counts V8's background threads, and a collection or
  // an optimizing compile that lands in one run (tens of ms) would swamp a mean of a few ms per run.
  return runs.sort((a, b) => a - b)[Math.floor(count / 2)]!;
}

/**
 * Sends raw HTTP and collects the answer until the server closes. `body` is written in chunks as
 * long as the socket takes them, up to `bodyBytes`.
 */
function rawExchange(gw: TestGateway, head: string, bodyBytes: number) {
  const { port } = new URL(gw.url);
  return new Promise<{ text: string; written: number; closedMs: number }>((resolve) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let text = '';
    let written = 0;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, written, closedMs: performance.now() - started }));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (written < bodyBytes && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', () => {
      socket.write(head);
      pump();
    });
    // Bounded: a server that keeps reading is cut off here and fails the assertions.
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

describe('GraphQL documents are bounded before validation (SEC-06)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('answers the 13 KiB 300-fragment chain with BAD_USER_INPUT in a few ms of CPU, as cheaply as an ordinary query', async () => {
    const document = chain(300);
    expect(document.length).toBeGreaterThan(13_000);
    // CPU time, not wall time: it is what the one event loop pays, and load on the machine does not
    // inflate it. The figure includes this process's own client work. The review measured ~47 ms
    // for this document against ~1.4 ms for an ordinary query (built, outside jest).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const fragments = await cpuPerRun(20, () => postLight(gw, agent, JSON.stringify({ query: document })));
    agent.destroy();
    // Here an ordinary query `{ providers { id } }` costs 2-6 ms of CPU in all, and the refused chain
    // about as much; before the pre-pass the chain cost over 100 ms. 15 ms leaves room for a slower
    // machine and still fails that by a wide margin.
    expect(fragments).toBeLessThan(15_000);

    const refused = await post(gw, document);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/more than 20 fragments.*refused before validation/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('stops parsing past GRAPHQL_MAX_TOKENS', async () => {
    const refused = await post(gw, `{ ${'__typename '.repeat(3001)}}`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]).toMatchObject({
      // graphql-js 16 spells it "more that".
      message: expect.stringMatching(/^Syntax Error: Document contains more tha[nt] 3000 tokens\. Parsing aborted\.$/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses alias and selection floods under the token limit', async () => {
    const aliases = await post(gw, `{ ${Array.from({ length: 41 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors?.[0]?.message).toMatch(/more than 40 aliased fields/);
    const selections = await post(gw, `{ ${'__typename '.repeat(401)}}`);
    expect(selections.status).toBe(400);
    expect(selections.body.errors?.[0]?.message).toMatch(/more than 400 selections/);
    // An ordinary operation of the API goes through.
    expect((await post(gw, 'query Q { providers { id name protocol configured } }')).status).toBe(200);
  });

  it('gives no field suggestions when introspection is off (SEC-09)', async () => {
    const refused = await post(gw, '{ provider { id } }');
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toBe('Cannot query field "provider" on type "Query".');
  });

  it('answers 413 to a /graphql body past GRAPHQL_MAX_BODY_BYTES (64 KiB), closes the connection and stops reading', async () => {
    const small = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(66_000) } }),
    });
    expect(small.status).toBe(413);
    expect(await small.json()).toEqual({ error: 'BAD_USER_INPUT', message: 'The request body exceeds 65536 bytes.' });
    expect(small.headers.get('connection')).toBe('close');

    // 200 MiB announced, then streamed: the answer comes, the socket closes, and the sender is cut off early.
    const declared = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`;
    const cut = await rawExchange(gw, declared, 200 * 1024 * 1024);
    expect(cut.text).toMatch(/^HTTP\/1\.1 413 [^]*\r\nconnection: close\r\n/i);
    expect(cut.written).toBeLessThan(32 * 1024 * 1024);
    expect(cut.closedMs).toBeLessThan(4000);

    const chunked = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const body = await rawExchange(gw, `${chunked}${(64 * 1024 + 100).toString(16)}\r\n`, 200 * 1024 * 1024);
    expect(body.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(body.written).toBeLessThan(32 * 1024 * 1024);
  });

  it('closes the connection instead of draining a body sent to a route that takes none (SEC-16)', async () => {
    const head = `POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`;
    const cut = await rawExchange(gw, head, 200 * 1024 * 1024);
    expect(cut.text).toMatch(/^HTTP\/1\.1 200 [^]*\r\nconnection: close\r\n/i);
    expect(cut.written).toBeLessThan(32 * 1024 * 1024);
    expect(cut.closedMs).toBeLessThan(4000);
  });
});

describe('hardening headers (SEC-18, SEC-10)', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
  });
  const start = async (env: Record<string, string>) => {
    const gw = await startTestGateway(env);
    gateways.push(gw);
    return gw;
  };
  const hardened = (headers: Headers) => ({
    nosniff: headers.get('x-content-type-options'),
    referrer: headers.get('referrer-policy'),
  });
  const expected = { nosniff: 'nosniff', referrer: 'no-referrer' };

  it('sends nosniff and Referrer-Policy: no-referrer on JSON, GraphQL, error and static answers', async () => {
    const gw = await start({ EXAMPLE_PAGE: 'true' });
    const answers = await Promise.all([
      fetch(`${gw.url}/healthz`),
      fetch(`${gw.url}/no/such/route`),
      fetch(`${gw.url}/callback/nope?code=x&state=y`),
      fetch(`${gw.url}/`),
      fetch(`${gw.url}/app.js`),
      fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ providers { id } }"}',
      }),
      fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ nope }"}' }),
      fetch(`${gw.url}/graphql`, { method: 'PUT' }),
    ]);
    for (const res of answers) expect({ url: res.url, ...hardened(res.headers) }).toEqual({ url: res.url, ...expected });
  });

  it('keeps the development landing page out of frames', async () => {
    const gw = await start({});
    const res = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(hardened(res.headers)).toEqual(expected);
  });

  it('serves no landing page in production, so no third-party script runs on this origin', async () => {
    for (const NODE_ENV of ['production', 'Production', 'PRODUCTION']) {
      const gw = await start({ NODE_ENV });
      const res = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
      const text = await res.text();
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(text).not.toContain('<script');
      expect(text).not.toContain('cdn.apollographql.com');
      // SEC-15: any spelling of production is production: no example page either.
      expect((await fetch(`${gw.url}/`)).status).toBe(404);
    }
  });
});
