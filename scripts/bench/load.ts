import autocannon from 'autocannon';
import { cpuMs, type Server } from './processes.js';

/** What one measurement of one server gives. */
export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** CPU time of the server process (user + system) per answer. */
  cpuMsPerAnswer: number;
  errors: number;
}

/** What the load sends: POST bodies to /graphql (rotating over them), or GETs of a path. */
export type Target = { graphql: string[] } | { get: string };

/** autocannon against one server for `seconds`. */
export async function load(server: Server, target: Target, connections: number, seconds: number): Promise<Figures> {
  const before = cpuMs(server.child.pid!);
  let next = 0;
  const bodies = 'graphql' in target ? target.graphql : [];
  const result = await autocannon({
    url: 'graphql' in target ? `${server.url}/graphql` : `${server.url}${target.get}`,
    connections,
    duration: seconds,
    requests: [
      'graphql' in target
        ? {
            method: 'POST',
            // With this media type a failed operation answers with its error's status (SPEC), so an
            // answer that is an error is counted as one rather than as a fast 200.
            headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
            setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
          }
        : { method: 'GET' },
    ],
  });
  const answers = result.requests.total;
  return {
    rps: answers / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerAnswer: (cpuMs(server.child.pid!) - before) / Math.max(answers, 1),
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Medians of each figure over the rounds; errors are summed. */
export function summarize(runs: Figures[]): Figures {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuMsPerAnswer: median(runs.map((r) => r.cpuMsPerAnswer)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

export interface Contender {
  server: Server;
  target: Target;
}

/**
 * The contenders measured in alternating rounds, so that each sees the same machine weather; each
 * gets a warm-up load first (the JIT's first seconds are not what a running gateway costs). The
 * figures of every round, per contender: comparisons pair the contenders' figures of one round.
 */
export async function alternate(contenders: Contender[], connections: number, seconds: number, rounds: number): Promise<Figures[][]> {
  for (const c of contenders) await load(c.server, c.target, connections, Math.min(2, seconds));
  const runs: Figures[][] = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of contenders.entries()) runs[i]!.push(await load(c.server, c.target, connections, seconds));
  }
  return runs;
}

/**
 * The median over rounds of a figure comparing two contenders within each round (a ratio of their
 * requests/s, a difference of their CPU): these shared machines change speed from one round to the
 * next, and a comparison within a round sees both under the same weather.
 */
export function pairedMedian(a: Figures[], b: Figures[], compare: (a: Figures, b: Figures) => number): number {
  return median(a.map((figures, round) => compare(figures, b[round]!)));
}
