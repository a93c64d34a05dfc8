import 'reflect-metadata';
import type { Logger } from 'pino';
import { FlowBinding } from './auth/binding.js';
import { AuthFlow } from './auth/flow.js';
import { PendingStates } from './auth/pending-states.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { Refresher } from './auth/refresh.js';
import { Sessions } from './auth/sessions.js';
import type { Config } from './config/config.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { loadProvidersFile } from './config/providers-file.js';
import { envPrefix, recordingEnv, unknownVariableWarnings } from './config/env-names.js';
import type { Services } from './graphql/context.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { startHttpServer, type RunningServer } from './http/server.js';
import { createLogger, flushLogsSync } from './log.js';
import { Metrics } from './metrics.js';
import { builtinProviders, ProviderRegistry } from './providers/index.js';
import type { ProviderDefinition } from './providers/types.js';
import { createStore } from './store/create-store.js';
import { Keyring } from './store/keyring.js';
import { AppTokens } from './proxy/app-tokens.js';
import { ProxyPolicy } from './proxy/policy.js';
import { ProxyService } from './proxy/proxy-service.js';
import { ProviderClient } from './upstream/provider-client.js';
import { Upstream } from './upstream/upstream.js';

export interface Gateway extends RunningServer {
  config: Readonly<Config>;
  logger: Logger;
  /** The services behind the API, for in-process callers (benchmarks, tests). */
  services: Services;
}

export interface GatewayOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  providers?: readonly ProviderDefinition[];
}

/** Loads the configuration, wires the services and starts the HTTP server. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const rawEnv = options.env ?? process.env;
  const { env, read: namesRead } = recordingEnv(rawEnv);
  const { config, definitions } = loadGatewayConfig(env, options.providers ?? builtinProviders);
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, production: config.production });

  // Redis requires TOKEN_ENCRYPTION_KEY (config.ts); the in-process store needs no key (see SealedStore).
  const keyring = config.encryptionKeys.length > 0 ? new Keyring(config.encryptionKeys) : Keyring.ephemeral();
  if (!config.redisUrl && !config.redisClusterNodes?.length) {
    logger.warn('REDIS_URL is not set: sessions are kept in this process only, lost on restart and not shared with other replicas');
  }
  const metrics = new Metrics();
  const store = await createStore({
    onError: () => metrics.storeErrors.inc(),
    redisUrl: config.redisUrl,
    redisClusterNodes: config.redisClusterNodes,
    namespace: config.storeNamespace,
    keyring,
    logger,
    memoryMaxEntries: config.memoryStoreMaxEntries,
    memoryMaxPending: config.pendingStatesMax,
  });
  const upstream = new Upstream(config.upstreamTimeoutMs, logger, metrics);

  const anyConfigured = definitions.some((d) => config.providers[d.id]?.clientId);
  // Imported only when needed: production never loads the demo's OpenID Provider.
  const demo =
    config.demoProvider && !anyConfigured ? await (await import('./demo/demo-provider.js')).startDemoProvider(config.publicUrl) : undefined;
  const registry = new ProviderRegistry(
    demo ? [...definitions, demo.definition] : definitions,
    { providers: demo ? { ...config.providers, demo: demo.settings } : config.providers },
    upstream,
  );
  // The refresh lock outlives one token request (the request's own bound plus a margin).
  const refresher = new Refresher(
    store,
    upstream,
    logger,
    { refreshMarginSeconds: config.refreshMarginSeconds, lockTtlMs: config.upstreamTimeoutMs + 5000 },
    metrics,
  );
  const client = new ProviderClient(upstream);
  const sessions = new Sessions(store, registry, client, logger, refresher, config);
  const flow = new AuthFlow(
    store,
    registry,
    sessions,
    upstream,
    new RateLimiter(config.startAuthRateLimit),
    logger,
    config.stateTtlSeconds,
    new FlowBinding({
      secure: config.publicUrl.startsWith('https:'),
      sameSite: config.cookieSameSite,
      maxAgeSeconds: config.stateTtlSeconds,
    }),
    new PendingStates(store, config.pendingStatesMax, config.stateTtlSeconds * 1000),
    metrics,
  );

  void registry.warmUp((provider, error) =>
    logger.warn({ provider, err: error instanceof Error ? error.message : String(error) }, 'discovery failed; retried on first use'),
  );
  const schema = await buildGatewaySchema();
  // In demo mode with nothing else said, the callback forwards to the example page, which completes the flow.
  const callback = {
    frontendCallbackUrl:
      config.frontendCallbackUrl ?? (demo && config.examplePage && !config.frontendSuccessUrl ? `${config.publicUrl}/` : undefined),
    frontendSuccessUrl: config.frontendSuccessUrl,
  };
  const appTokens = new AppTokens(store, upstream, logger, { lockTtlMs: config.upstreamTimeoutMs + 5000 }, metrics);
  const proxy = new ProxyService(registry, sessions, refresher, client, appTokens, new ProxyPolicy(), logger, config, metrics);
  const services: Services = { registry, flow, sessions, proxy };
  const http = await startHttpServer({ config, metrics, callback, schema, services, store, logger });
  if (demo) {
    logger.warn(
      { provider: 'demo', issuer: demo.issuer },
      'no provider is configured: the built-in demo provider is on (loopback only, fake account)',
    );
  }
  // Checked last, once everything that reads a variable has read it.
  for (const warning of [
    ...config.warnings,
    ...unknownVariableWarnings(
      rawEnv,
      namesRead,
      definitions.map((d) => d.id),
    ),
  ]) {
    logger.warn(warning);
  }
  const configured = registry
    .list()
    .filter((p) => p.configured)
    .map((p) => p.id);
  if (config.cookieSameSite !== 'none') {
    // A form_post answer is a cross-site POST: a SameSite=Lax or Strict binding cookie does not come with it.
    for (const provider of registry.list().filter((p) => p.configured && p.definition.responseMode === 'form_post')) {
      logger.warn(
        { provider: provider.id },
        `${provider.definition.name} answers with a cross-site form POST: set COOKIE_SAMESITE=none (and an https PUBLIC_URL), or its sign-ins fail with INVALID_STATE`,
      );
    }
  }
  if (config.production) {
    for (const provider of registry.list().filter((p) => p.configured && !p.settings.allowedScopes)) {
      const variable = `${envPrefix(provider.id)}_ALLOWED_SCOPES`;
      logger.warn({ provider: provider.id }, `${variable} is not set: startAuth callers may ask ${provider.definition.name} for any scope`);
    }
  }
  logger.info(
    { url: http.url, providers: configured, store: config.redisClusterNodes ? 'redis-cluster' : config.redisUrl ? 'redis' : 'memory' },
    'gateway listening',
  );
  // A person is waiting for these lines: they are not left in the buffer until traffic fills it.
  flushLogsSync(logger);

  return {
    ...http,
    config,
    logger,
    services,
    async close() {
      await http.close();
      await Promise.all([upstream.close(), store.close(), demo?.close()]);
    },
  };
}

/**
 * The configuration and the provider list (built-in plus PROVIDERS_FILE), with the problems of both
 * reported together.
 */
function loadGatewayConfig(env: Record<string, string | undefined>, builtin: readonly ProviderDefinition[]) {
  const problems: string[] = [];
  let declared: ProviderDefinition[] = [];
  const file = env.PROVIDERS_FILE?.trim();
  if (file) {
    try {
      // `demo` is the built-in demo provider's id.
      declared = loadProvidersFile(file, [...builtin.map((d) => d.id), 'demo']);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  const definitions = [...builtin, ...declared];
  let config: Readonly<Config> | undefined;
  try {
    config = loadConfig(
      env,
      definitions.map((d) => d.id),
      Object.fromEntries(definitions.flatMap((d) => (d.mintedClientSecret ? [[d.id, d.mintedClientSecret]] : []))),
      Object.fromEntries(definitions.flatMap((d) => (d.proxy?.mounts ? [[d.id, Object.keys(d.proxy.mounts)]] : []))),
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (!config || problems.length > 0) throw new ConfigError(problems);
  return { config, definitions };
}
