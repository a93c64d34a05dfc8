import 'reflect-metadata';
import type { Logger } from 'pino';
import { AuthFlow } from './auth/flow.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { Sessions } from './auth/sessions.js';
import type { Config } from './config/config.js';
import { loadConfig } from './config/load-config.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { startHttpServer, type RunningServer } from './http/server.js';
import { createLogger } from './log.js';
import { builtinProviders, ProviderRegistry } from './providers/index.js';
import type { ProviderDefinition } from './providers/types.js';
import { createStore } from './store/create-store.js';
import { Keyring } from './store/keyring.js';
import { Upstream } from './upstream/upstream.js';

export interface Gateway extends RunningServer {
  config: Readonly<Config>;
  logger: Logger;
}

export interface GatewayOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  providers?: readonly ProviderDefinition[];
}

/** Loads the configuration, wires the services and starts the HTTP server. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const definitions = options.providers ?? builtinProviders;
  const config = loadConfig(options.env ?? process.env, definitions.map((d) => d.id));
  const logger = options.logger ?? createLogger(config.logLevel);

  let keyring: Keyring;
  if (config.encryptionKeys.length > 0) {
    keyring = new Keyring(config.encryptionKeys);
  } else {
    keyring = Keyring.ephemeral();
    logger.warn('TOKEN_ENCRYPTION_KEY is not set: tokens are sealed with a random per-process key and lost on restart');
  }
  const store = createStore({ redisUrl: config.redisUrl, redisClusterNodes: config.redisClusterNodes, namespace: config.storeNamespace, keyring, logger });
  const upstream = new Upstream(config.upstreamTimeoutMs, logger);
  const registry = new ProviderRegistry(definitions, config, upstream);
  const sessions = new Sessions(store, registry, upstream, logger, config);
  const flow = new AuthFlow(store, registry, sessions, upstream, new RateLimiter(config.startAuthRateLimit), logger, config.stateTtlSeconds);

  const schema = await buildGatewaySchema();
  const http = await startHttpServer({ config, schema, services: { registry, flow, sessions }, store, logger });
  const configured = registry.list().filter((p) => p.configured).map((p) => p.id);
  logger.info({ url: http.url, providers: configured, store: config.redisClusterNodes ? 'redis-cluster' : config.redisUrl ? 'redis' : 'memory' }, 'gateway listening');

  return {
    ...http,
    config,
    logger,
    async close() {
      await http.close();
      await upstream.close();
      await store.close();
    },
  };
}
