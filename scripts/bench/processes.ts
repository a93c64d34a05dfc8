import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

/** The processes the benchmark starts, and what it reads of them (/proc, the gateway's /metrics). */

export interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

/** The benchmark's own client for setup calls (not for the measured load, which autocannon sends). */
export const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A helper process of this folder that prints its port on its first stdout line. It runs with
 * NODE_ENV=production, as the gateway does: graphql-js checks more in development mode.
 */
export function spawnHelper(name: string, script: string, args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [here(script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve({ name, url: `http://127.0.0.1:${Number(chunk.toString().trim())}`, child }));
  });
}

/** A token of this run's own: the gateways it starts serve /metrics only with it. */
const METRICS_TOKEN = randomBytes(24).toString('base64url');

/** The gateway as deployed: built, NODE_ENV=production, logs on (to /dev/null), GitHub pointed at `upstream`. */
export async function spawnGateway(name: string, upstream: string, extra: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    START_AUTH_RATE_LIMIT: '0',
    // The load reads a hundred sessions thousands of times a second: the per-session cap on provider
    // calls would turn the proxy rows into rows of RATE_LIMITED answers.
    PROXY_RATE_LIMIT: '0',
    FRONTEND_CALLBACK_URL: 'http://127.0.0.1:9/app',
    GITHUB_CLIENT_ID: 'bench-client',
    // 40 hex characters, as GitHub's client secrets are (the proxy searches answers for it).
    GITHUB_CLIENT_SECRET: randomBytes(20).toString('hex'),
    GITHUB_AUTHORIZATION_URL: `${upstream}/login/oauth/authorize`,
    GITHUB_TOKEN_URL: `${upstream}/login/oauth/access_token`,
    GITHUB_API_URL: `${upstream}/api/v3`,
    // /metrics on the public port only with this token (the memory phase reads the heap there).
    METRICS_TOKEN,
    // Every load connection comes from 127.0.0.1, as from a proxy: the per-client cap would cut them.
    MAX_CONNECTIONS_PER_CLIENT: '0',
    ...extra,
  };
  // stderr is kept: a gateway that fails says why. (Node's one-time ExperimentalWarning lands there too.)
  const child = spawn(process.execPath, [here('../../src/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await request(`${url}/readyz`, { dispatcher: agent })).statusCode === 200) return { name, url, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${name} did not become ready`);
}

/** CPU time (user + system) the process has used, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

const statusMb = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
export const rssMb = (pid: number) => statusMb(pid, 'VmRSS');
export const peakRssMb = (pid: number) => statusMb(pid, 'VmHWM');

/** The JS heap in use, from the gateway's own Prometheus metrics (prom-client's default metrics). */
export async function heapUsedMb(gateway: Server): Promise<number> {
  const text = await (
    await request(`${gateway.url}/metrics`, { dispatcher: agent, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).body.text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)![1]) / 1024 / 1024;
}

/**
 * One GraphQL call. `browser` keeps the flow-binding cookie between calls, as a browser does: a flow
 * started with it is finished with it.
 */
export async function graphql(
  server: Server,
  query: string,
  variables: Record<string, unknown>,
  browser?: { cookie?: string },
): Promise<Record<string, any>> {
  const res = await request(`${server.url}/graphql`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(browser?.cookie && { cookie: browser.cookie }) },
    body: JSON.stringify({ query, variables }),
  });
  const setCookie = res.headers['set-cookie'];
  if (browser && setCookie) browser.cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];
  const body = (await res.body.json()) as { data?: Record<string, any>; errors?: unknown };
  if (!body.data) throw new Error(`${server.name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export const START = 'mutation($p: String!) { startAuth(provider: $p) { authorizationUrl } }';
const COMPLETE = 'mutation($p: String!, $c: String!, $s: String!) { completeAuth(provider: $p, code: $c, state: $s) { sessionId } }';
export const PROFILE =
  'query Profile($p: String!, $s: String!) { profile(provider: $p, sessionId: $s) { id username displayName email avatarUrl profileUrl } }';

export const PROXY =
  'query Repos($p: String!, $s: String) { providerRequest(provider: $p, sessionId: $s, request: { path: "/user/repos" }) { status ok json } }';

/** One whole flow: startAuth → the provider's authorize redirect → the gateway's callback → completeAuth. */
export async function flow(gateway: Server): Promise<string> {
  const browser: { cookie?: string } = {};
  const { startAuth } = await graphql(gateway, START, { p: 'github' }, browser);
  const authorize = await request(startAuth.authorizationUrl, { dispatcher: agent });
  await authorize.body.dump();
  const callback = await request(String(authorize.headers.location), { dispatcher: agent });
  await callback.body.dump();
  const forwarded = new URL(String(callback.headers.location));
  const { completeAuth } = await graphql(
    gateway,
    COMPLETE,
    {
      p: 'github',
      c: forwarded.searchParams.get('code')!,
      s: forwarded.searchParams.get('state')!,
    },
    browser,
  );
  return completeAuth.sessionId;
}

/** Runs `task` `total` times, `concurrency` at a time. */
export async function repeat(total: number, concurrency: number, task: () => Promise<unknown>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        await task();
      }
    }),
  );
}
