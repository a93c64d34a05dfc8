import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';

/**
 * `npm run bench`: load figures for the gateway, each printed beside a bare Apollo Server measured in
 * the same run, in alternating rounds (these machines are shared and noisy: the ratios are the figures
 * that mean something). Everything runs on loopback. Knobs: BENCH_SECONDS (per measurement, default 4),
 * BENCH_ROUNDS (default 3), BENCH_STATES (states for the memory figure, default 100000), REDIS_URL.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STATES = Number(process.env.BENCH_STATES ?? 100_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerAnswer: number;
  errors: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A helper process that prints its port on its first stdout line. */
function spawnPrintingPort(name: string, script: string, args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve({ name, url: `http://127.0.0.1:${Number(chunk.toString().trim())}`, child }));
  });
}

/** The gateway as deployed: built, NODE_ENV=production, logs on (to /dev/null). */
async function spawnGateway(name: string, upstream: string, extra: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    START_AUTH_RATE_LIMIT: '0',
    FRONTEND_CALLBACK_URL: 'http://127.0.0.1:9/app',
    GITHUB_CLIENT_ID: 'bench-client',
    GITHUB_CLIENT_SECRET: 'bench-secret',
    GITHUB_AUTHORIZATION_URL: `${upstream}/login/oauth/authorize`,
    GITHUB_TOKEN_URL: `${upstream}/login/oauth/access_token`,
    GITHUB_API_URL: `${upstream}/api/v3`,
    ...extra,
  };
  const child = spawn(process.execPath, [here('../src/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await request(`${url}/readyz`, { dispatcher: agent })).statusCode === 200) return { name, url, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${name} did not become ready`);
}

async function graphql(server: Server, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await request(`${server.url}/graphql`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.body.json()) as { data?: Record<string, any>; errors?: unknown };
  if (!body.data) throw new Error(`${server.name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const START = 'mutation($p: String!) { startAuth(provider: $p) { authorizationUrl } }';
const COMPLETE = 'mutation($p: String!, $c: String!, $s: String!) { completeAuth(provider: $p, code: $c, state: $s) { sessionId } }';
const PROFILE =
  'query Profile($p: String!, $s: String!) { profile(provider: $p, sessionId: $s) { id username displayName email avatarUrl profileUrl } }';

/** One whole flow: startAuth → the provider's authorize redirect → the gateway's callback → completeAuth. */
async function flow(gateway: Server): Promise<string> {
  const { startAuth } = await graphql(gateway, START, { p: 'github' });
  const authorize = await request(startAuth.authorizationUrl, { dispatcher: agent });
  await authorize.body.dump();
  const callback = await request(String(authorize.headers.location), { dispatcher: agent });
  await callback.body.dump();
  const forwarded = new URL(String(callback.headers.location));
  const { completeAuth } = await graphql(gateway, COMPLETE, {
    p: 'github',
    c: forwarded.searchParams.get('code')!,
    s: forwarded.searchParams.get('state')!,
  });
  return completeAuth.sessionId;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** autocannon against one server; bodies rotate over `bodies` (e.g. many sessions). */
async function load(server: Server, bodies: string[], connections: number): Promise<Figures> {
  const before = cpuMs(server.child.pid!);
  let next = 0;
  const result = await autocannon({
    url: `${server.url}/graphql`,
    connections,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  const answers = result.requests.total;
  return {
    rps: answers / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerAnswer: (cpuMs(server.child.pid!) - before) / Math.max(answers, 1),
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
function summarize(runs: Figures[]): Figures {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuMsPerAnswer: median(runs.map((r) => r.cpuMsPerAnswer)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

interface Row {
  scenario: string;
  connections: number;
  gateway: Figures;
  baseline: Figures;
  ratio: number;
  latencyBoundFraction?: number;
  peakRssMb: number;
}

/** Baseline and gateway in alternating rounds, so both see the same machine weather. */
async function compare(
  scenario: string,
  baseline: Server,
  gateway: Server,
  bodies: string[],
  connections: number,
  upstreamLatencyMs = 0,
): Promise<Row> {
  const base = `{"query":"{ __typename }"}`;
  const b: Figures[] = [];
  const g: Figures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    b.push(await load(baseline, [base], connections));
    g.push(await load(gateway, bodies, connections));
  }
  const row: Row = {
    scenario,
    connections,
    gateway: summarize(g),
    baseline: summarize(b),
    ratio: 0,
    peakRssMb: peakRssMb(gateway.child.pid!),
  };
  row.ratio = row.gateway.rps / row.baseline.rps;
  if (upstreamLatencyMs > 0) row.latencyBoundFraction = row.gateway.rps / (connections / (upstreamLatencyMs / 1000));
  process.stderr.write(`  ${scenario} c=${connections}: ${row.gateway.rps.toFixed(0)} req/s (baseline ${row.baseline.rps.toFixed(0)})\n`);
  return row;
}

async function flowsPerSecond(gateway: Server, concurrency: number): Promise<{ flowsPerSecond: number; cpuMsPerFlow: number }> {
  const before = cpuMs(gateway.child.pid!);
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await flow(gateway);
        done++;
      }
    }),
  );
  return { flowsPerSecond: done / SECONDS, cpuMsPerFlow: (cpuMs(gateway.child.pid!) - before) / done };
}

async function redisReachable(): Promise<boolean> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.quit();
    return true;
  } catch {
    return false;
  }
}

async function clearNamespace(namespace: string): Promise<void> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${namespace}*`, COUNT: 1000 })) {
    if ((keys as unknown as string[]).length > 0) await client.del(keys as unknown as string[]);
  }
  await client.quit();
}

async function main(): Promise<void> {
  const started = new Date();
  const servers: Server[] = [];
  const track = (s: Server) => (servers.push(s), s);
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  try {
    const up0 = track(await spawnPrintingPort('upstream 0 ms', 'bench/upstream.js', ['0']));
    const up20 = track(await spawnPrintingPort('upstream 20 ms', 'bench/upstream.js', ['20']));
    const upEtag = track(await spawnPrintingPort('upstream 0 ms, conditional', 'bench/upstream.js', ['0', 'conditional']));
    const baseline = track(await spawnPrintingPort('baseline', 'bench/baseline.js'));
    const memory = track(await spawnGateway('gateway (memory)', up0.url));
    const memory20 = track(await spawnGateway('gateway (memory, 20 ms upstream)', up20.url));
    const cached = track(await spawnGateway('gateway (memory, 304 upstream)', upEtag.url));
    const redis = (await redisReachable())
      ? track(
          await spawnGateway('gateway (Redis)', up0.url, {
            REDIS_URL,
            STORE_NAMESPACE: namespace,
            TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          }),
        )
      : undefined;

    const profileBodies = async (gateway: Server) => {
      const sessions = [];
      for (let i = 0; i < 100; i++) sessions.push(await flow(gateway));
      return sessions.map((s) => JSON.stringify({ query: PROFILE, variables: { p: 'github', s } }));
    };
    const rows: Row[] = [];
    const memoryBodies = await profileBodies(memory);
    for (const c of [10, 50]) rows.push(await compare('profile, memory store, 0 ms upstream', baseline, memory, memoryBodies, c));
    const bodies20 = await profileBodies(memory20);
    for (const c of [10, 50]) rows.push(await compare('profile, memory store, 20 ms upstream', baseline, memory20, bodies20, c, 20));
    const cachedBodies = await profileBodies(cached);
    for (const c of [10, 50]) rows.push(await compare('profile, conditional-request cache hit (304)', baseline, cached, cachedBodies, c));
    if (redis) {
      const redisBodies = await profileBodies(redis);
      for (const c of [10, 50]) rows.push(await compare('profile, Redis store, 0 ms upstream', baseline, redis, redisBodies, c));
    }
    const startBody = [JSON.stringify({ query: START, variables: { p: 'github' } })];
    for (const c of [10, 50]) rows.push(await compare('startAuth', baseline, memory, startBody, c));
    const flows = await flowsPerSecond(memory, 10);
    process.stderr.write(`  complete flows: ${flows.flowsPerSecond.toFixed(0)}/s\n`);

    // Memory: STATES states in a fresh gateway, then again after they expire and are swept.
    const states = track(await spawnGateway('gateway (states)', up0.url, { STATE_TTL_SECONDS: '10' }));
    const rssIdle = rssMb(states.child.pid!);
    await autocannon({
      url: `${states.url}/graphql`,
      connections: 20,
      amount: STATES,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: startBody[0],
    });
    const rssFull = rssMb(states.child.pid!);
    await new Promise((resolve) => setTimeout(resolve, 45_000)); // 10 s TTL + the 30 s sweep
    const memoryFigures = {
      states: STATES,
      rssIdleMb: rssIdle,
      rssAfterStatesMb: rssFull,
      peakRssMb: peakRssMb(states.child.pid!),
      rssAfterExpiryMb: rssMb(states.child.pid!),
    };

    const report = {
      date: started.toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
      secondsPerMeasurement: SECONDS,
      rounds: ROUNDS,
      rows,
      flows,
      memory: memoryFigures,
    };
    print(report);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write('\nwritten to bench-results/latest.json\n');
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await agent.close();
    if (await redisReachable()) await clearNamespace(namespace);
  }
}

function print(report: {
  date: string;
  machine: string;
  rows: Row[];
  flows: { flowsPerSecond: number; cpuMsPerFlow: number };
  memory: Record<string, number>;
}): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  const lines = [
    `Benchmark ${report.date} — ${report.machine} (loopback; medians of ${ROUNDS} alternating rounds of ${SECONDS} s)`,
    '',
    '| scenario | conns | req/s | p50 ms | p99 ms | CPU ms/answer | baseline req/s | baseline CPU ms | ratio | latency-bound fraction | peak RSS MB | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.rows.map((r) =>
      [
        r.scenario,
        r.connections,
        f(r.gateway.rps),
        f(r.gateway.p50),
        f(r.gateway.p99),
        f(r.gateway.cpuMsPerAnswer, 3),
        f(r.baseline.rps),
        f(r.baseline.cpuMsPerAnswer, 3),
        f(r.ratio, 2),
        r.latencyBoundFraction === undefined ? '' : f(r.latencyBoundFraction, 2),
        f(r.peakRssMb),
        r.gateway.errors,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
    '',
    `Complete flows (startAuth → authorize → callback → completeAuth), 10 concurrent: ${f(report.flows.flowsPerSecond)}/s, ${f(report.flows.cpuMsPerFlow, 2)} ms CPU per flow`,
    `Memory store: ${report.memory.states} states → RSS ${f(report.memory.rssAfterStatesMb)} MB (idle ${f(report.memory.rssIdleMb)} MB, peak ${f(report.memory.peakRssMb)} MB); after expiry ${f(report.memory.rssAfterExpiryMb)} MB`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
