import { Keyv } from 'keyv';
import KeyvRedis, { createCluster } from '@keyv/redis';
import type { Logger } from 'pino';
import { RedisCoordination, type Coordination } from './coordination.js';

/**
 * The store on Redis (one server or a cluster). A module of its own, imported only when Redis is
 * configured: a gateway on the in-process store never loads the Redis client.
 */
export function openRedis(options: { redisUrl?: string; redisClusterNodes?: string[]; namespace: string; logger: Logger }): {
  keyv: Keyv<string>;
  coordination: Coordination;
} {
  const { redisUrl, redisClusterNodes, namespace, logger } = options;
  const connection =
    redisClusterNodes && redisClusterNodes.length > 0
      ? createCluster({
          rootNodes: redisClusterNodes.map((node) => ({ url: `redis://${node}`, socket: { connectTimeout: 2000 } })),
          defaults: { disableOfflineQueue: true },
        })
      : { url: redisUrl, socket: { connectTimeout: 2000 }, disableOfflineQueue: true };
  const adapter = new GatewayRedis(connection, redisOptions());
  adapter.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  return {
    keyv: new Keyv<string>({ store: adapter, namespace, ...redisKeyv }),
    // Same client and the adapter's key prefix (`namespace::key`), so all of a session's keys share a slot.
    coordination: new RedisCoordination(() => adapter.getClient(), `${namespace}${adapter.keyPrefixSeparator}`),
  };
}

/**
 * Keyv swallows its adapter's errors unless told otherwise; and the adapter prefixes keys with the
 * namespace itself, so Keyv must not add it a second time.
 */
const redisKeyv = { throwOnErrors: true, useKeyPrefix: false } as const;

/**
 * Commands fail at once while Redis is unreachable (`disableOfflineQueue` above) instead of waiting
 * in a queue, which would hold every request for the full timeout and replay writes whose callers
 * were already told they failed. Closing destroys a client that is not connected: a graceful QUIT
 * would wait for a server that is not there.
 */
class GatewayRedis extends KeyvRedis<string> {
  private firstReady?: Promise<void>;

  /**
   * The adapter hands out its client as soon as it is connecting; with the offline queue off, every
   * command sent before the first connection is ready would fail, so the first burst of requests after
   * boot waits (at most the connect timeout) for it. Later disconnections still fail fast.
   */
  override async getClient(): Promise<Awaited<ReturnType<KeyvRedis<string>['getClient']>>> {
    const client = await super.getClient();
    const events = client as unknown as { isReady?: boolean; once(event: 'ready', listener: () => void): void };
    if (events.isReady === false) {
      // Resolves once: after the first connection (or the timeout) nobody waits here again.
      this.firstReady ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        events.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await this.firstReady;
    }
    return client;
  }

  override async disconnect(force?: boolean): Promise<void> {
    const ready = (this.client as { isReady?: boolean }).isReady !== false;
    await super.disconnect(force ?? !ready);
  }
}

function redisOptions() {
  // Fail instead of answering "not found" when Redis is down: a missing session and an unreachable
  // store are different errors for the client. (The connect timeout is the socket's: the adapter's
  // own `connectionTimeout` leaves a timer running after every connect.)
  return { throwOnErrors: true, throwOnConnectError: true };
}
