import autocannon from 'autocannon';
import { flow, heapUsedMb, peakRssMb, repeat, rssMb, spawnGateway, START, type Server } from './processes.js';

export interface MemoryFigures {
  count: number;
  idle: { rssMb: number; heapMb: number };
  full: { rssMb: number; heapMb: number };
  peakRssMb: number;
  /** Only for states: once they have expired and been swept. */
  afterExpiry?: { rssMb: number; heapMb: number };
}

async function reading(gateway: Server): Promise<{ rssMb: number; heapMb: number }> {
  return { rssMb: rssMb(gateway.child.pid!), heapMb: await heapUsedMb(gateway) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `count` pending authorizations (startAuth, never completed) in a fresh gateway's memory store, then
 * the same process once they have expired (10 s TTL) and the sweep (every 30 s) has removed them.
 */
export async function pendingStates(upstream: string, count: number): Promise<MemoryFigures> {
  const gateway = await spawnGateway('gateway (states)', upstream, { STATE_TTL_SECONDS: '10' });
  try {
    const idle = await reading(gateway);
    await autocannon({
      url: `${gateway.url}/graphql`,
      connections: 20,
      amount: count,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: START, variables: { p: 'github' } }),
    });
    const full = await reading(gateway);
    await sleep(45_000); // the TTL, the next sweep, and the collections it starts
    return { count, idle, full, peakRssMb: peakRssMb(gateway.child.pid!), afterExpiry: await reading(gateway) };
  } finally {
    gateway.child.kill('SIGTERM');
  }
}

/** `count` complete sessions (flow through callback and completeAuth, one GitHub connection each). */
export async function completeSessions(upstream: string, count: number): Promise<MemoryFigures> {
  const gateway = await spawnGateway('gateway (sessions)', upstream);
  try {
    const idle = await reading(gateway);
    await repeat(count, 20, () => flow(gateway));
    return { count, idle, full: await reading(gateway), peakRssMb: peakRssMb(gateway.child.pid!) };
  } finally {
    gateway.child.kill('SIGTERM');
  }
}
