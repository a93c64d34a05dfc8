import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { alternate, pairedMedian, summarize, type Contender, type Figures, type Target } from './bench/load.js';
import { completeSessions, pendingStates } from './bench/memory.js';
import { agent, cpuMs, flow, peakRssMb, PROFILE, PROXY, repeat, spawnGateway, spawnHelper, START, type Server } from './bench/processes.js';
import { printReport, type Report, type Row } from './bench/report.js';

/**
 * `npm run bench`: load figures for the gateway, each beside a bare Apollo Server answering
 * `{ __typename }` (the baseline) measured in the same run in alternating rounds; these machines are
 * shared and noisy, so the ratios are the figures that mean something, and each is taken within a
 * round (the median of the rounds' ratios): the machine's speed changes from one round to the next.
 * Profile rows also show the framework's floor: bare Apollo making the same one upstream call.
 * Everything runs on loopback. Knobs: BENCH_SECONDS (per measurement, default 3), BENCH_ROUNDS (5),
 * BENCH_STATES (100000), BENCH_SESSIONS (100000), REDIS_URL (default redis://127.0.0.1:6379; skipped when unreachable),
 * BENCH_ONLY (comma-separated scenario name prefixes: only those rows, and no flow or memory phase;
 * a short check such as `BENCH_ONLY=profile,\ memory\ store,\ 0,proxy BENCH_SECONDS=2 BENCH_ROUNDS=1`).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STATES = Number(process.env.BENCH_STATES ?? 100_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = [10, 50];
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const wanted = (scenario: string) => ONLY.length === 0 || ONLY.some((prefix) => scenario.startsWith(prefix));
const TYPENAME: Target = { graphql: [JSON.stringify({ query: '{ __typename }' })] };

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

/** Profile queries over 100 sessions made by whole flows, so the load reads many connections. */
async function profileBodies(gateway: Server, query = PROFILE): Promise<Target> {
  const sessions: string[] = [];
  await repeat(100, 10, async () => sessions.push(await flow(gateway)));
  return { graphql: sessions.map((s) => JSON.stringify({ query, variables: { p: 'github', s } })) };
}

interface Scenario {
  name: string;
  gateway: Contender;
  baseline: Server;
  floor?: Contender;
  /** The fake upstream's own latency: rows report throughput against connections ÷ latency. */
  upstreamLatencyMs?: number;
  /** Load straight at the fake upstream: what the machine allows at that latency. */
  upstreamAlone?: Contender;
}

async function measure(scenario: Scenario): Promise<Row[]> {
  const rows: Row[] = [];
  if (!wanted(scenario.name)) return rows;
  for (const connections of CONNECTIONS) {
    const contenders = [{ server: scenario.baseline, target: TYPENAME }, scenario.gateway, scenario.floor, scenario.upstreamAlone];
    const present = contenders.filter((c): c is Contender => c !== undefined);
    const runs = await alternate(present, connections, SECONDS, ROUNDS);
    const figures = runs.map(summarize);
    // The baseline and the gateway are always the first two.
    const [baseline, gateway] = figures as [Figures, Figures];
    const of = (c: Contender | undefined): Figures | undefined => (c ? figures[present.indexOf(c)] : undefined);
    const roundsOf = (c: Contender) => runs[present.indexOf(c)]!;
    const rps = (a: Figures, b: Figures) => a.rps / b.rps;
    const floor = of(scenario.floor);
    const bound = scenario.upstreamLatencyMs ? connections / (scenario.upstreamLatencyMs / 1000) : undefined;
    rows.push({
      scenario: scenario.name,
      connections,
      gateway,
      baseline,
      ratio: pairedMedian(runs[1]!, runs[0]!, rps),
      floor,
      floorRatio: scenario.floor && pairedMedian(runs[1]!, roundsOf(scenario.floor), rps),
      cpuAboveBaselineUs: pairedMedian(runs[1]!, runs[0]!, (g, b) => (g.cpuMsPerAnswer - b.cpuMsPerAnswer) * 1000),
      latencyBoundFraction: bound && gateway.rps / bound,
      upstreamAlone: of(scenario.upstreamAlone),
      peakRssMb: peakRssMb(scenario.gateway.server.child.pid!),
    });
    process.stderr.write(
      `  ${scenario.name}, ${connections} connections: ${gateway.rps.toFixed(0)} req/s (baseline ${baseline.rps.toFixed(0)})\n`,
    );
  }
  return rows;
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

const machine = () => `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;

async function main(): Promise<void> {
  const started = new Date();
  const servers: Server[] = [];
  const track = async (s: Promise<Server>) => (servers.push(await s), servers.at(-1)!);
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const redis = await redisReachable();
  try {
    const up0 = await track(spawnHelper('upstream 0 ms', 'upstream.js', ['0']));
    const up20 = await track(spawnHelper('upstream 20 ms', 'upstream.js', ['20']));
    const upEtag = await track(spawnHelper('upstream 0 ms, conditional', 'upstream.js', ['0', 'conditional']));
    const baseline = await track(spawnHelper('baseline', 'baseline.js'));
    const floor0 = await track(spawnHelper('floor, 0 ms upstream', 'floor.js', [up0.url]));
    const floor20 = await track(spawnHelper('floor, 20 ms upstream', 'floor.js', [up20.url]));
    const memory = await track(spawnGateway('gateway (memory)', up0.url));
    const memory20 = await track(spawnGateway('gateway (memory, 20 ms upstream)', up20.url));
    const cached = await track(spawnGateway('gateway (memory, 304 upstream)', upEtag.url));
    // startAuth's load leaves hundreds of thousands of pending flows: on a gateway of its own, with room
    // for them all, so that neither its answers nor the complete flows measured later meet a full pool.
    const starts = await track(spawnGateway('gateway (memory, startAuth)', up0.url, { PENDING_STATES_MAX: '5000000' }));
    const redisGateway = redis
      ? await track(
          spawnGateway('gateway (Redis)', up0.url, {
            REDIS_URL,
            STORE_NAMESPACE: namespace,
            TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          }),
        )
      : undefined;

    const profile0 = await profileBodies(memory);
    const rows: Row[] = [];
    rows.push(
      ...(await measure({
        name: 'profile, memory store, 0 ms upstream',
        baseline,
        gateway: { server: memory, target: profile0 },
        floor: { server: floor0, target: profile0 },
      })),
    );
    rows.push(
      ...(await measure({
        name: 'proxy GET /user/repos (~13 kB), memory store, 0 ms upstream',
        baseline,
        gateway: { server: memory, target: await profileBodies(memory, PROXY) },
        floor: { server: floor0, target: { graphql: [JSON.stringify({ query: PROXY, variables: { p: 'github', s: 'x' } })] } },
      })),
    );
    const startAuth: Target = { graphql: [JSON.stringify({ query: START, variables: { p: 'github' } })] };
    rows.push(...(await measure({ name: 'startAuth', baseline, gateway: { server: starts, target: startAuth } })));
    if (ONLY.length > 0) {
      printReport({ date: started.toISOString(), machine: machine(), secondsPerMeasurement: SECONDS, rounds: ROUNDS, rows });
      return;
    }
    const profile20 = await profileBodies(memory20);
    rows.push(
      ...(await measure({
        name: 'profile, memory store, 20 ms upstream',
        baseline,
        gateway: { server: memory20, target: profile20 },
        floor: { server: floor20, target: profile20 },
        upstreamLatencyMs: 20,
        upstreamAlone: { server: up20, target: { get: '/api/v3/user' } },
      })),
    );
    rows.push(
      ...(await measure({
        name: 'profile, conditional-request cache hit (304)',
        baseline,
        gateway: { server: cached, target: await profileBodies(cached) },
      })),
    );
    if (redisGateway) {
      rows.push(
        ...(await measure({
          name: 'profile, Redis store, 0 ms upstream',
          baseline,
          gateway: { server: redisGateway, target: await profileBodies(redisGateway) },
        })),
      );
    }
    const flows = await flowsPerSecond(memory, 10);
    process.stderr.write(`  complete flows: ${flows.flowsPerSecond.toFixed(0)}/s\n`);
    // The memory figures come from fresh gateways of their own; only the 0 ms upstream stays up for them.
    for (const s of servers.splice(0)) if (s !== up0) s.child.kill('SIGTERM');
    servers.push(up0);

    process.stderr.write(`  memory: ${STATES} pending states, then ${SESSIONS} complete sessions\n`);
    const states = await pendingStates(up0.url, STATES);
    const sessions = await completeSessions(up0.url, SESSIONS);

    const report: Report = {
      date: started.toISOString(),
      machine: machine(),
      secondsPerMeasurement: SECONDS,
      rounds: ROUNDS,
      rows,
      flows,
      memory: { states, sessions },
    };
    printReport(report);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write('\nwritten to bench-results/latest.json\n');
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await agent.close();
    if (redis) await clearNamespace(namespace);
  }
}

await main();
