/**
 * A throwaway three-master Redis Cluster on loopback for integration tests: three `redis-server`
 * processes with cluster mode on, joined by `redis-cli --cluster create`, in a temporary directory that
 * `stop()` removes again. Ports are taken below the kernel's ephemeral range (and so are their cluster
 * bus ports, port + 10000), so they cannot collide with the port-0 listeners of the other tests.
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@keyv/redis';

const run = promisify(execFile);

/** Client ports come from [PORT_LOW, PORT_HIGH); their bus ports land in [30000, 32700), below Linux's ephemeral 32768. */
const PORT_LOW = 20000;
const PORT_HIGH = 22700;
const BUS_OFFSET = 10000;

export interface StoredKey {
  /** Client port of the master that holds the key. */
  port: number;
  key: string;
  value: string | null;
  /** Milliseconds left (PTTL): -1 means no expiry, -2 that the key is gone. */
  pttl: number;
}

export interface RedisCluster {
  ports: number[];
  /** `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`, as REDIS_CLUSTER_NODES wants it. */
  nodes: string;
  /** Every key matching `pattern` on every master (SCAN each node: a cluster has no global keyspace). */
  keys(pattern: string): Promise<StoredKey[]>;
  /** The hash slot of a key, as the cluster computes it (`CLUSTER KEYSLOT`). */
  keyslot(key: string): Promise<number>;
  /** Runs `redis-cli -c -p <first port> <args...>` and returns its output. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Whether `redis-server` and `redis-cli` are installed. Without them the cluster tests cannot run:
 * that is a skip on a developer machine, and a failure in CI.
 */
export function redisServerAvailable(): boolean {
  const missing = ['redis-server', 'redis-cli'].filter((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).error);
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(`${missing.join(' and ')} must be installed in CI to test the Redis Cluster store`);
  return false;
}

/** Starts the cluster and resolves once every master reports `cluster_state:ok`. Retries on a port race. */
export async function startRedisCluster(opts: { masters?: number; timeoutMs?: number } = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && Date.now() < deadline; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    const processes: ChildProcess[] = [];
    const output: string[] = [];
    try {
      const ports = await freeClusterPorts(masters);
      for (const port of ports) processes.push(startServer(port, dir, output));
      await Promise.all(ports.map((port, i) => waitForPing(port, processes[i]!, deadline)));
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: Math.max(1000, deadline - Date.now()),
      });
      await Promise.all(ports.map((port) => waitForClusterOk(port, masters, deadline)));
      return handle(ports, dir, processes);
    } catch (error) {
      lastError = new Error(`${error instanceof Error ? error.message : String(error)}\n--- redis-server output ---\n${output.join('')}`);
      await stopAll(processes);
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError ?? new Error('the Redis Cluster did not start in time');
}

function handle(ports: number[], dir: string, processes: ChildProcess[]): RedisCluster {
  const cli = async (...args: string[]) => (await run('redis-cli', ['-c', '-p', String(ports[0]), ...args])).stdout.trim();
  return {
    ports,
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    cli,
    async keyslot(key) {
      const answer = await cli('cluster', 'keyslot', key);
      const slot = Number(answer);
      if (!Number.isInteger(slot)) throw new Error(`CLUSTER KEYSLOT answered "${answer}"`);
      return slot;
    },
    async keys(pattern) {
      const perNode = await Promise.all(
        ports.map(async (port) => {
          const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { connectTimeout: 2000, reconnectStrategy: false } });
          client.on('error', () => undefined);
          await client.connect();
          try {
            const keys: string[] = [];
            for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 500 })) keys.push(...(batch as unknown as string[]));
            return await Promise.all(
              keys.map(async (key): Promise<StoredKey> => ({ port, key, value: await client.get(key), pttl: await client.pTTL(key) })),
            );
          } finally {
            await client.close().catch(() => undefined);
          }
        }),
      );
      return perNode.flat();
    },
    async stop() {
      await stopAll(processes);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function startServer(port: number, dir: string, output: string[]): ChildProcess {
  // prettier-ignore
  const args = [
    '--port', String(port),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout', '2000',
    '--save', '',
    '--appendonly', 'no',
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--daemonize', 'no',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => output.push(`[${port}] ${chunk.toString('utf8')}`);
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/** Ports P with P and P + 10000 (the cluster bus) free on 127.0.0.1. */
async function freeClusterPorts(count: number): Promise<number[]> {
  const chosen: number[] = [];
  for (let tries = 0; chosen.length < count && tries < 200; tries++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW));
    if (chosen.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + BUS_OFFSET))) chosen.push(port);
  }
  if (chosen.length < count) throw new Error(`no ${count} free port pairs in [${PORT_LOW}, ${PORT_HIGH}]`);
  return chosen;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function waitForPing(port: number, child: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on ${port} exited (${child.exitCode ?? child.signalCode})`);
    }
    const answer = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 }).then(
      (r) => r.stdout.trim(),
      () => '',
    );
    if (answer === 'PONG') return;
    await sleep(25);
  }
  throw new Error(`redis-server on ${port} did not answer PING in time`);
}

async function waitForClusterOk(port: number, masters: number, deadline: number): Promise<void> {
  let info = '';
  while (Date.now() < deadline) {
    info = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 1000 }).then(
      (r) => r.stdout,
      () => '',
    );
    if (info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes(`cluster_known_nodes:${masters}`))
      return;
    await sleep(50);
  }
  throw new Error(`node ${port} never reported cluster_state:ok:\n${info}`);
}

async function stopAll(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
