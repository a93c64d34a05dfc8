/**
 * Real processes for the resilience tests: a private redis-server (never the shared one on 6379) that
 * can be killed and restarted on the same port, and the built gateway (`dist/src/main.js`) as `npm start`
 * runs it, so signals and crashes act on a real process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@keyv/redis';
import { ClientError, GraphQLClient } from 'graphql-request';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { CookieJar, freePort, type GraphQLFailure } from '../integration/harness.js';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

/** The browser of these tests: it reaches every gateway process (replicas behind one load balancer) with the same cookies. */
export const browser = new CookieJar();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` and returns its result (or its error) with the time it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - started) };
}

/** Polls `probe` until it returns true; throws with `what` after `timeoutMs`. Returns the time it took. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * Whether redis-server can be run here. A missing binary skips the outage tests locally and fails in CI,
 * like the shared-Redis tests do.
 */
export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env.CI === 'true') throw new Error('redis-server is required in CI for the resilience tests and was not found');
  return false;
}

/**
 * A redis-server child on a loopback port of its own. Append-only file with fsync on every write, so a
 * SIGKILL loses nothing and a restart on the same port finds the data again (as a real deployment would).
 */
export class RedisProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'gateway-resilience-redis-'));
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(readonly port: number) {}

  static async create(): Promise<RedisProcess> {
    return new RedisProcess(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child = child;
    await waitUntil(
      `redis-server on ${this.port} to answer PING (log: ${this.log.slice(-500)})`,
      async () => (await this.command(['PING'])) === 'PONG',
      5000,
      50,
    );
  }

  /** SIGKILL (a crash or a lost host) by default; waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** SIGSTOP / SIGCONT: a Redis that keeps its connections open but answers nothing (a frozen host, a long fork). */
  freeze(frozen: boolean): void {
    if (!this.running) throw new Error('redis-server is not running');
    this.child!.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** One command on a short-lived connection of its own (which never retries). */
  command(args: string[]): Promise<unknown> {
    return this.withClient((client) => client.sendCommand(args));
  }

  /** `CLIENT LIST` without the connection that asks. */
  otherClients(): Promise<string[]> {
    return this.withClient(async (client) => {
      const self = String(await client.sendCommand(['CLIENT', 'ID']));
      const list = String(await client.sendCommand(['CLIENT', 'LIST']));
      return list
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith(`id=${self} `));
    });
  }

  private async withClient<T>(use: (client: { sendCommand(args: string[]): Promise<unknown> }) => Promise<T>): Promise<T> {
    const client = createClient({ url: this.url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  async dispose(): Promise<void> {
    if (this.running) this.child!.kill('SIGCONT');
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when nothing accepts a new TCP connection on the port (ECONNREFUSED), false when something does. */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' ? resolve(true) : reject(error)));
  });
}

/** The built gateway as a child process, with its output kept for failure messages. */
export class GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  private readonly client: GraphQLClient;
  private out = '';

  private constructor(
    readonly port: number,
    env: Record<string, string>,
    readonly cwd: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    // A directory of its own as the working directory: no stray `.env` is picked up.
    this.child = spawn(process.execPath, [MAIN], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: this.url,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    this.client = new GraphQLClient(`${this.url}/graphql`, { fetch: browser.fetch });
  }

  /** Spawns the gateway and waits until `/healthz` answers (it must start whatever the store does). */
  static async start(env: Record<string, string>, startupTimeoutMs = 10_000): Promise<GatewayProcess> {
    const gateway = new GatewayProcess(await freePort(), env, mkdtempSync(join(tmpdir(), 'gateway-resilience-cwd-')));
    let early: unknown;
    const died = gateway.exited.then((exit) => (early = exit));
    const outcome = await Promise.race([
      waitUntil(
        'the gateway to answer /healthz',
        async () => early === undefined && (await fetch(`${gateway.url}/healthz`)).status === 200,
        startupTimeoutMs,
        50,
      ).then(
        () => 'up' as const,
        (error: unknown) => error,
      ),
      died.then(() => new Error(`the gateway exited during startup (${JSON.stringify(early)}): ${gateway.output}`)),
    ]);
    if (outcome !== 'up') {
      await gateway.dispose();
      throw outcome;
    }
    return gateway;
  }

  /** The exit of the process, or 'still running' when it has not exited within `ms`. */
  async exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'still running'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'still running'>((resolve) => (timer = setTimeout(resolve, ms, 'still running')));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get output(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  status(path: string): Promise<number> {
    return fetch(`${this.url}${path}`).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });
  }

  request<T, V extends object>(document: TypedDocumentNode<T, V>, variables: V): Promise<T> {
    return this.client.request<T>({ document, variables } as never);
  }

  /** Runs an operation that must fail; returns its first error and the HTTP status. */
  async failure<T, V extends object>(document: TypedDocumentNode<T, V>, variables: V): Promise<GraphQLFailure> {
    try {
      await this.client.request({ document, variables } as never);
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      const first = error.response.errors?.[0];
      if (!first) throw error;
      const extensions = (first.extensions ?? {}) as Record<string, unknown>;
      return {
        status: error.response.status,
        message: first.message,
        code: String(extensions.code),
        extensions,
      };
    }
    throw new Error('the operation succeeded but was expected to fail');
  }

  /** Kills the process if it still runs (SIGKILL: nothing of it may outlive the test) and removes its directory. */
  async dispose(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(this.cwd, { recursive: true, force: true });
  }
}
