import type { Figures } from './load.js';
import type { MemoryFigures } from './memory.js';

export interface Row {
  scenario: string;
  connections: number;
  gateway: Figures;
  baseline: Figures;
  /** Gateway requests/s ÷ baseline requests/s, within each round; the median over rounds. */
  ratio: number;
  /** Bare Apollo making the same upstream call. */
  floor?: Figures;
  /** Gateway requests/s ÷ floor requests/s, within each round; the median over rounds. */
  floorRatio?: number;
  /** Gateway CPU per answer minus the baseline's, in µs, within each round; the median over rounds. */
  cpuAboveBaselineUs: number;
  /** Gateway requests/s ÷ (connections ÷ upstream latency). */
  latencyBoundFraction?: number;
  upstreamAlone?: Figures;
  peakRssMb: number;
}

export interface Report {
  date: string;
  machine: string;
  secondsPerMeasurement: number;
  rounds: number;
  rows: Row[];
  /** Absent in a BENCH_ONLY run. */
  flows?: { flowsPerSecond: number; cpuMsPerFlow: number };
  memory?: { states: MemoryFigures; sessions: MemoryFigures };
}

const f = (n: number | undefined, digits = 0) => (n === undefined ? '' : n.toFixed(digits));

function table(rows: Row[]): string[] {
  return [
    '| scenario | conns | req/s | p50 ms | p99 ms | CPU ms/answer | baseline req/s | baseline CPU ms | × baseline | floor req/s | floor p99 ms | floor CPU ms | × floor | latency-bound fraction | upstream alone req/s | peak RSS MB | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${[
          r.scenario,
          r.connections,
          f(r.gateway.rps),
          f(r.gateway.p50),
          f(r.gateway.p99),
          f(r.gateway.cpuMsPerAnswer, 3),
          f(r.baseline.rps),
          f(r.baseline.cpuMsPerAnswer, 3),
          f(r.ratio, 2),
          f(r.floor?.rps),
          f(r.floor?.p99),
          f(r.floor?.cpuMsPerAnswer, 3),
          f(r.floorRatio, 2),
          f(r.latencyBoundFraction, 2),
          f(r.upstreamAlone?.rps),
          f(r.peakRssMb),
          r.gateway.errors,
        ].join(' | ')} |`,
    ),
  ];
}

/** The targets, each with the figure that decides it. */
function targets(report: Report): string[] {
  const row = (scenario: string, connections: number) =>
    report.rows.find((r) => r.scenario.startsWith(scenario) && r.connections === connections);
  const lines: string[] = [];
  const check = (name: string, ok: boolean | undefined, figure: string) =>
    lines.push(`- ${ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met'}: ${name} (${figure})`);
  const ratios = (scenario: string, min: number) => {
    const rs = [10, 50].map((c) => row(scenario, c)).filter((r): r is Row => r !== undefined);
    return {
      ok: rs.length > 0 ? rs.every((r) => r.ratio >= min) : undefined,
      figure: rs.map((r) => `${f(r.ratio, 2)} at ${r.connections}`).join(', '),
    };
  };
  const floorRatios = (scenario: string, min: number) => {
    const rs = [10, 50].map((c) => row(scenario, c)).filter((r): r is Row => r?.floorRatio !== undefined);
    return {
      ok: rs.length > 0 ? rs.every((r) => r.floorRatio! >= min) : undefined,
      figure: rs.map((r) => `${f(r.floorRatio, 2)} at ${r.connections}`).join(', '),
    };
  };
  const proxy = floorRatios('proxy GET /user/repos', 0.9);
  check('proxy GET /user/repos ≥ 0.9 × its floor at 10 and 50 connections', proxy.ok, proxy.figure);
  const profileFloor = floorRatios('profile, memory store, 0 ms', 0.9);
  check('profile ≥ 0.9 × its floor', profileFloor.ok, profileFloor.figure);
  const memory = ratios('profile, memory store, 0 ms', 0.5);
  check('profile, memory store, 0 ms upstream ≥ 0.5 × baseline', memory.ok, memory.figure);
  const slow = row('profile, memory store, 20 ms', 50);
  check(
    'profile at 50 connections, 20 ms upstream: ≥ 0.95 of the latency bound, p99 ≤ 30 ms',
    slow && slow.latencyBoundFraction! >= 0.95 && slow.gateway.p99 <= 30,
    slow ? `${f(slow.latencyBoundFraction, 2)} of the bound, p99 ${slow.gateway.p99} ms` : '',
  );
  const start = ratios('startAuth', 0.7);
  check('startAuth ≥ 0.7 × baseline', start.ok, start.figure);
  // CPU per answer above the baseline's, in µs: what startAuth's own work costs beyond Apollo's.
  const startRows = [10, 50].map((c) => row('startAuth', c)).filter((r): r is Row => r !== undefined);
  const extraUs = (r: Row) => r.cpuAboveBaselineUs;
  check(
    'startAuth ≤ 60 µs of CPU above the baseline per answer',
    startRows.length > 0 ? startRows.every((r) => extraUs(r) <= 60) : undefined,
    startRows.map((r) => `${f(extraUs(r))} µs at ${r.connections}`).join(', '),
  );
  const redis = ratios('profile, Redis store', 0.4);
  check('profile, Redis store ≥ 0.4 × baseline', redis.ok, redis.figure);
  if (!report.memory) return lines;
  const { states } = report.memory;
  // The "100k sessions ... after their states expire": sessions of the flow still waiting for
  // their callback. Complete sessions are reported above, beside them.
  check(`peak RSS with ${states.count} pending authorizations (startAuth) ≤ 250 MB`, states.peakRssMb <= 250, `${f(states.peakRssMb)} MB`);
  const after = states.afterExpiry!;
  check(
    'memory returns after the states expire (JS heap back within 10 MB of idle)',
    after.heapMb <= states.idle.heapMb + 10,
    `heap ${f(states.idle.heapMb)} → ${f(states.full.heapMb)} → ${f(after.heapMb)} MB, RSS ${f(states.idle.rssMb)} → ${f(states.full.rssMb)} → ${f(after.rssMb)} MB`,
  );
  return lines;
}

export function printReport(report: Report): void {
  const head = [
    `Benchmark ${report.date} — ${report.machine} (loopback; medians of ${report.rounds} alternating rounds of ${report.secondsPerMeasurement} s; ratios and CPU differences paired within each round)`,
    '',
    ...table(report.rows),
    '',
  ];
  if (!report.flows || !report.memory) {
    process.stdout.write(`${[...head, 'Targets:', ...targets(report)].join('\n')}\n`);
    return;
  }
  const { states, sessions } = report.memory;
  const lines = [
    ...head,
    `Complete flows (startAuth → authorize → callback → completeAuth), 10 concurrent: ${f(report.flows.flowsPerSecond)}/s, ${f(report.flows.cpuMsPerFlow, 2)} ms CPU per flow`,
    `Memory store, ${states.count} pending states: RSS ${f(states.idle.rssMb)} → ${f(states.full.rssMb)} MB (peak ${f(states.peakRssMb)}), JS heap ${f(states.idle.heapMb)} → ${f(states.full.heapMb)} MB; after expiry RSS ${f(states.afterExpiry!.rssMb)} MB, heap ${f(states.afterExpiry!.heapMb)} MB`,
    `Memory store, ${sessions.count} complete sessions: RSS ${f(sessions.idle.rssMb)} → ${f(sessions.full.rssMb)} MB (peak ${f(sessions.peakRssMb)}), JS heap ${f(sessions.idle.heapMb)} → ${f(sessions.full.heapMb)} MB`,
    '',
    'Targets:',
    ...targets(report),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
