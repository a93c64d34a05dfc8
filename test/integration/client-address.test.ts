import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from './harness.js';

interface Answer {
  status: number;
  code?: string;
}

/** startAuth over a socket bound to `localAddress` (any 127.x.y.z is this machine), with extra headers. */
function startAuth(gw: TestGateway, localAddress: string, headers: Record<string, string> = {}): Promise<Answer> {
  const body = JSON.stringify({ query: 'mutation { startAuth(provider: "spotify") { state } }' });
  return new Promise((resolve, reject) => {
    const req = request(
      `${gw.url}/graphql`,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const parsed = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
          resolve({ status: res.statusCode ?? 0, code: parsed.errors?.[0]?.extensions?.code });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** How many of `count` calls got through before the limit (2 per minute here) refused them. */
async function admitted(calls: Array<() => Promise<Answer>>): Promise<string[]> {
  const outcomes: string[] = [];
  for (const call of calls) outcomes.push((await call()).code ?? 'OK');
  return outcomes;
}

describe('the startAuth rate limit counts the client address', () => {
  let spotify: FakeSpotify;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
  });
  afterAll(async () => {
    await spotify.close();
  });

  describe('without trusted proxies', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), START_AUTH_RATE_LIMIT: '2' });
    });
    afterAll(async () => {
      await gw.close();
    });

    it('ignores X-Forwarded-For and Forwarded from an untrusted peer: rotating them buys no budget', async () => {
      const outcomes = await admitted(
        ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map(
          (ip) => () => startAuth(gw, '127.0.0.2', { 'x-forwarded-for': ip, forwarded: `for=${ip}` }),
        ),
      );
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      // Another peer address has its own budget.
      expect((await startAuth(gw, '127.0.0.3')).code).toBeUndefined();
    });
  });

  describe('behind a trusted proxy (TRUSTED_PROXIES=127.0.0.4,127.0.0.5/32)', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), START_AUTH_RATE_LIMIT: '2', TRUSTED_PROXIES: '127.0.0.4, 127.0.0.5/32' });
    });
    afterAll(async () => {
      await gw.close();
    });

    it('gives each forwarded client its own budget, so one client cannot lock out everyone behind the proxy', async () => {
      const a = await admitted([1, 2, 3].map(() => () => startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '203.0.113.10' })));
      expect(a).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      expect((await startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '203.0.113.11' })).code).toBeUndefined();
    });

    it('takes the first untrusted hop from the right: an address the client prepends is not believed', async () => {
      // The client wrote the first entry; the proxy appended what it saw (203.0.113.20), then a second
      // trusted proxy (127.0.0.5) forwarded to the one that connects.
      const forged = (n: number) => ({ 'x-forwarded-for': `192.0.2.${n}, 203.0.113.20, 127.0.0.5` });
      const outcomes = await admitted([1, 2, 3].map((n) => () => startAuth(gw, '127.0.0.4', forged(n))));
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
    });

    it('counts IPv6 clients per /64: two addresses of one /64 share one budget, another /64 has its own', async () => {
      const outcomes = await admitted([
        () => startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '2001:db8:1:2::1' }),
        () => startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '2001:db8:1:2:ffff:ffff:ffff:fffe' }),
        () => startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '2001:db8:1:2::abcd' }),
      ]);
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      expect((await startAuth(gw, '127.0.0.4', { 'x-forwarded-for': '2001:db8:1:3::1' })).code).toBeUndefined();
    });

    it('does not read Forwarded unless TRUSTED_PROXY_HEADER says so', async () => {
      const outcomes = await admitted(
        [1, 2, 3].map((n) => () => startAuth(gw, '127.0.0.4', { forwarded: `for=198.51.100.${n}`, 'x-forwarded-for': '203.0.113.30' })),
      );
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
    });
  });

  describe('behind a proxy that writes Forwarded (RFC 7239)', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({
        ...spotify.env(),
        START_AUTH_RATE_LIMIT: '2',
        TRUSTED_PROXIES: '127.0.0.0/24',
        TRUSTED_PROXY_HEADER: 'forwarded',
      });
    });
    afterAll(async () => {
      await gw.close();
    });

    it('reads quoted, bracketed IPv6 nodes with ports, per /64', async () => {
      const outcomes = await admitted([
        () => startAuth(gw, '127.0.0.6', { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https' }),
        () => startAuth(gw, '127.0.0.6', { forwarded: 'for="[2001:db8:cafe::18]"' }),
        () => startAuth(gw, '127.0.0.6', { forwarded: 'for="[2001:db8:cafe:0:1:2:3:4]:80", for=127.0.0.9' }),
      ]);
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      expect((await startAuth(gw, '127.0.0.6', { forwarded: 'for=192.0.2.43:8080' })).code).toBeUndefined();
    });
  });
});
