import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestGateway, type TestGateway } from './harness.js';

/** A raw TCP connection from `localAddress` (any 127.x.y.z is this machine), with what it received and when it closed. */
interface Probe {
  socket: Socket;
  received: () => string;
  /** Resolves with the ms from opening to the close, or with -1 if still open after `withinMs`. */
  closed: (withinMs: number) => Promise<number>;
}

async function open(gw: TestGateway, localAddress = '127.0.0.1'): Promise<Probe> {
  const { port } = new URL(gw.url);
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress });
  let text = '';
  let closedAt: number | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closedAt = performance.now() - started;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', resolve).once('close', resolve));
  return {
    socket,
    received: () => text,
    async closed(withinMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
      clearTimeout(timer);
      return closedAt ?? -1;
    },
  };
}

const healthz = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const logged = (gw: TestGateway, event: string) => gw.logs.filter((l) => (JSON.parse(l) as { event?: string }).event === event);

describe('slow and silent connections are closed (SEC-07)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      HTTP_FIRST_BYTE_TIMEOUT_MS: '300',
      HTTP_HEADERS_TIMEOUT_MS: '800',
      // Well above the header timeout, so that the 408 below can only come from the header timeout.
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '400',
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('closes connections that send nothing within HTTP_FIRST_BYTE_TIMEOUT_MS, and says so once in the log', async () => {
    const probes = await Promise.all(Array.from({ length: 5 }, () => open(gw)));
    const closedAfter = await Promise.all(probes.map((p) => p.closed(3000)));
    for (const ms of closedAfter) {
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(1500);
    }
    const lines = logged(gw, 'first_byte_timeout');
    // Throttled: five sockets, one line.
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, client: '127.0.0.1', timeoutMs: 300 });
  });

  it('answers 408 and closes a connection whose headers trickle in past HTTP_HEADERS_TIMEOUT_MS', async () => {
    const probe = await open(gw);
    probe.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A header line every 150 ms: never idle long enough for the first-byte timeout, never finished.
    const trickle = setInterval(() => probe.socket.writable && probe.socket.write('X-Slow: 1\r\n'), 150);
    const ms = await probe.closed(6000);
    clearInterval(trickle);
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(2500);
    expect(probe.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(logged(gw, 'request_timeout').length).toBeGreaterThanOrEqual(1);
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, and keeps a working one meanwhile', async () => {
    const probe = await open(gw);
    probe.socket.write(healthz);
    const ms = await probe.closed(3000);
    expect(probe.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Node keeps the socket open 1 s past the advertised timeout (lib/_http_server.js), so that a
    // client does not reuse it just as it closes.
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(3000);
  });

  it('still serves a request that arrives in one go, after the first-byte window has passed for others', async () => {
    const probe = await open(gw);
    probe.socket.write(healthz);
    await probe.closed(200);
    expect(probe.received()).toMatch(/^HTTP\/1\.1 200 /);
    probe.socket.destroy();
  });
});

describe('connection caps (SEC-07)', () => {
  let gw: TestGateway;
  const probes: Probe[] = [];
  beforeAll(async () => {
    gw = await startTestGateway({ MAX_CONNECTIONS_PER_CLIENT: '3', MAX_CONNECTIONS: '5', HTTP_FIRST_BYTE_TIMEOUT_MS: '10000' });
  });
  afterAll(async () => {
    for (const p of probes) p.socket.destroy();
    await gw.close();
  });
  const keep = async (address: string) => {
    const probe = await open(gw, address);
    probes.push(probe);
    return probe;
  };

  it('refuses the (N+1)th connection of one address while another address still gets in, and logs it', async () => {
    const held = [await keep('127.0.0.2'), await keep('127.0.0.2'), await keep('127.0.0.2')];
    const refused = await keep('127.0.0.2');
    expect(await refused.closed(1000)).toBeGreaterThanOrEqual(0);
    expect(refused.received()).toBe('');
    for (const p of held) expect(await p.closed(50)).toBe(-1);

    const other = await keep('127.0.0.3');
    other.socket.write(healthz);
    await other.closed(300);
    expect(other.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(logged(gw, 'client_connection_cap')[0]!)).toMatchObject({ client: '127.0.0.2', limit: 3 });

    // A place freed is a place again.
    held[0]!.socket.destroy();
    await held[0]!.closed(1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await keep('127.0.0.2');
    again.socket.write(healthz);
    await again.closed(300);
    expect(again.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses connections past MAX_CONNECTIONS in total, from any address', async () => {
    // Open now: two of 127.0.0.2, one of 127.0.0.3, the one above: 4 of 5.
    const fifth = await keep('127.0.0.4');
    expect(await fifth.closed(100)).toBe(-1);
    const sixth = await keep('127.0.0.5');
    expect(await sixth.closed(1000)).toBeGreaterThanOrEqual(0);
    expect(sixth.received()).toBe('');
    expect(JSON.parse(logged(gw, 'connection_cap')[0]!)).toMatchObject({ client: '127.0.0.5', limit: 5 });
  });
});
