import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { ClientError, GraphQLClient } from 'graphql-request';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { pino } from 'pino';
import { createClient } from '@keyv/redis';
import { startGateway, type Gateway } from '../../src/gateway.js';
import type { ProviderDefinition } from '../../src/providers/types.js';
import { CompleteAuthDocument, StartAuthDocument } from '../generated/graphql.js';

/** The media type of GraphQL over HTTP whose status is the first error's (see src/http/server.ts). */
export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * One browser's cookies, as a browser keeps them for the gateway's origin: what an answer sets is
 * sent with the next requests (the flow-binding cookie), and two jars are two browsers.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  clear(): void {
    this.cookies.clear();
  }

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return response;
  };
}

/** A GraphQL client with a browser's cookie jar. */
export interface TestClient {
  jar: CookieJar;
  request<T, V extends object>(document: TypedDocumentNode<T, V>, variables: V, headers?: Record<string, string>): Promise<T>;
  /** Runs an operation that must fail; returns its first error and the HTTP status. */
  failure<T, V extends object>(document: TypedDocumentNode<T, V>, variables: V): Promise<GraphQLFailure>;
  /** A plain HTTP request from this browser (redirects not followed). */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
}

export interface TestGateway extends TestClient {
  url: string;
  gateway: Gateway;
  /** Every log line the gateway wrote, as JSON text. */
  logs: string[];
  /** Another browser: a client with a cookie jar of its own. */
  browser(): TestClient;
  close(): Promise<void>;
}

/** A client of the gateway at `url`, with its own cookies. */
export function testClient(url: string, jar = new CookieJar()): TestClient {
  // The GraphQL-over-HTTP type that carries the error's status (`application/json` answers 200):
  // the status assertions of the suite are about this one.
  const client = new GraphQLClient(`${url}/graphql`, { fetch: jar.fetch, headers: { accept: GRAPHQL_RESPONSE } });
  return {
    jar,
    request: (document, variables, headers) => client.request({ document, variables, requestHeaders: headers } as never),
    async failure(document, variables) {
      try {
        await client.request({ document, variables } as never);
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        const first = error.response.errors?.[0];
        if (!first) throw error;
        const extensions = (first.extensions ?? {}) as Record<string, unknown>;
        return { status: error.response.status, message: first.message, code: String(extensions.code), extensions };
      }
      throw new Error('the operation succeeded but was expected to fail');
    },
    fetch: (target, init = {}) => jar.fetch(target, { redirect: 'manual', ...init }),
  };
}

export interface GraphQLFailure {
  status: number;
  message: string;
  code: string;
  extensions: Record<string, unknown>;
}

/** A port that was free a moment ago, so PUBLIC_URL (and the redirect URIs) can be known before start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export const testKey = () => randomBytes(32).toString('base64');

/**
 * Starts the real gateway on loopback with the given variables (no provider unless given).
 * `providers` replaces the built-in definitions (a provider written for one test). `jar` is the
 * browser's cookies: replicas behind one load balancer are given the same jar.
 */
export async function startTestGateway(
  env: Record<string, string> = {},
  options: { providers?: ProviderDefinition[]; jar?: CookieJar } = {},
): Promise<TestGateway> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const gateway = await startGateway({
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      START_AUTH_RATE_LIMIT: '0',
      // Every test client is 127.0.0.1: the per-address cap has tests of its own (connection-limits).
      MAX_CONNECTIONS_PER_CLIENT: '0',
      DEMO_PROVIDER: 'false',
      ...env,
    },
    logger,
    providers: options.providers,
  });
  return {
    ...testClient(gateway.url, options.jar),
    url: gateway.url,
    gateway,
    logs,
    browser: () => testClient(gateway.url),
    close: () => gateway.close(),
  };
}

/** Environment for a gateway on the shared Redis, under a namespace of its own. */
export function redisEnv(namespace = `gateway-test-${randomBytes(6).toString('hex')}`, key = testKey()): Record<string, string> {
  return { REDIS_URL, STORE_NAMESPACE: namespace, TOKEN_ENCRYPTION_KEY: key };
}

/** Whether the local Redis answers; in CI a missing Redis fails the run instead of skipping. */
export async function redisAvailable(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`Redis is required in CI and ${REDIS_URL} does not answer`);
    return false;
  } finally {
    if (client.isOpen) await client.quit().catch(() => undefined);
  }
}

/** Every key under a namespace (to check what is stored), and their removal after a test. */
export async function redisKeys(namespace: string, remove = false): Promise<Array<{ key: string; value: string | null; ttl: number }>> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${namespace}*`, COUNT: 500 })) keys.push(...(batch as unknown as string[]));
    const rows = await Promise.all(keys.map(async (key) => ({ key, value: await client.get(key), ttl: await client.pTTL(key) })));
    if (remove && keys.length > 0) await client.del(keys);
    return rows;
  } finally {
    await client.quit();
  }
}

/** A fake provider as the flow helpers need it. */
export interface AuthorizingFake {
  authorize(authorizationUrl: string, opts?: { deny?: boolean }): Promise<URL>;
}

/** The provider's redirect back to the gateway, as the browser would receive it. */
export async function authorizeAt(
  gw: TestClient,
  fake: AuthorizingFake,
  provider: string,
  options?: { scopes?: string[]; sessionId?: string },
) {
  const { startAuth } = await gw.request(StartAuthDocument, { provider, options });
  const callback = await fake.authorize(startAuth.authorizationUrl);
  return { startAuth, callback, code: callback.searchParams.get('code')!, state: callback.searchParams.get('state')! };
}

/** The whole flow through GraphQL: startAuth → consent at the fake → completeAuth. */
export async function connect(
  gw: TestClient,
  fake: AuthorizingFake,
  provider: string,
  options?: { scopes?: string[]; sessionId?: string },
) {
  const { code, state } = await authorizeAt(gw, fake, provider, options);
  const { completeAuth } = await gw.request(CompleteAuthDocument, { provider, code, state });
  return completeAuth;
}
