import { trustedProxyProblem } from '../http/client-address.js';
import { parseRules, splitRules } from '../proxy/rules.js';
import type { Config, ProviderSettings } from './config.js';
import { envPrefix } from './env-names.js';

/** Startup configuration problems, one readable line each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The variables a provider mints its client secret from, and a check of their values (problems start with the name). */
export interface MintedSecretVariables {
  variables: readonly string[];
  problems(values: Readonly<Record<string, string>>): string[];
}

/**
 * Parses the environment once, listing every problem rather than stopping at the first.
 * `providerIds` are the ids of every known provider; their settings are found by the naming rule
 * `<ID>_CLIENT_ID`, `<ID>_CLIENT_SECRET`, ... with the id upper-cased and `-` turned into `_`.
 * `mintedSecrets` names, per provider that mints its client secret, the variables it mints it from
 * (read as `<ID>_<NAME>`, in place of `<ID>_CLIENT_SECRET`), with a check of their values.
 * `apiMounts` names, per provider, the mounts of its API (read as `<ID>_<MOUNT>_API_URL`).
 */
export function loadConfig(
  env: Env,
  providerIds: readonly string[],
  mintedSecrets: Readonly<Record<string, MintedSecretVariables>> = {},
  apiMounts: Readonly<Record<string, readonly string[]>> = {},
): Readonly<Config> {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const warnings: string[] = [];
  // Case-insensitive: `NODE_ENV=Production` must not fail open into development defaults.
  const production = env.NODE_ENV?.trim().toLowerCase() === 'production';
  const port = read.int('PORT', 4000, 0, 65535);
  const host = read.string('HOST') ?? '0.0.0.0';
  const publicUrl = (read.url('PUBLIC_URL') ?? defaultPublicUrl(host, port)).replace(/\/+$/, '');
  const portWarning = production
    ? undefined
    : publicUrlPortMismatch(publicUrl, read.string('PUBLIC_URL'), port, defaultPublicUrl(host, port));
  if (portWarning) warnings.push(portWarning);
  const redisUrl = read.url('REDIS_URL', undefined, ['redis:', 'rediss:']);
  const redisClusterNodes = read.list('REDIS_CLUSTER_NODES');
  for (const node of redisClusterNodes) {
    if (!/^[^\s:]+:\d{1,5}$/.test(node)) problems.push(`REDIS_CLUSTER_NODES: "${node}" is not host:port`);
  }
  const encryptionKeys = read.keys('TOKEN_ENCRYPTION_KEY');
  if (
    (redisUrl || redisClusterNodes.length > 0) &&
    encryptionKeys.length === 0 &&
    !problems.some((p) => p.startsWith('TOKEN_ENCRYPTION_KEY'))
  ) {
    problems.push(
      'TOKEN_ENCRYPTION_KEY is required with REDIS_URL or REDIS_CLUSTER_NODES (32 bytes, base64; e.g. `openssl rand -base64 32`)',
    );
  }

  const providers: Record<string, ProviderSettings> = {};
  for (const id of providerIds) {
    const prefix = envPrefix(id);
    // The old connector's variable, validated like any other URL.
    const legacyRedirect = id === 'spotify' ? read.url('REDIRECT_URI') : undefined;
    const scopes = read.list(`${prefix}_SCOPES`, /[\s,]+/);
    const allowedScopes = read.list(`${prefix}_ALLOWED_SCOPES`, /[\s,]+/);
    providers[id] = {
      clientId: read.string(`${prefix}_CLIENT_ID`),
      clientSecret: read.string(`${prefix}_CLIENT_SECRET`),
      redirectUri: read.url(`${prefix}_REDIRECT_URI`, legacyRedirect ?? `${publicUrl}/callback/${id}`)!,
      scopes: scopes.length > 0 ? scopes : undefined,
      allowedScopes: allowedScopes.length > 0 ? allowedScopes : undefined,
      authorizationUrl: read.url(`${prefix}_AUTHORIZATION_URL`),
      tokenUrl: read.url(`${prefix}_TOKEN_URL`),
      apiUrl: read.url(`${prefix}_API_URL`)?.replace(/\/+$/, ''),
      apiMounts: Object.fromEntries(
        (apiMounts[id] ?? []).flatMap((mount) => {
          const url = read.url(`${prefix}_${envPrefix(mount)}_API_URL`)?.replace(/\/+$/, '');
          return url ? [[mount, url]] : [];
        }),
      ),
      revocationUrl: read.url(`${prefix}_REVOCATION_URL`),
      issuer: read.url(`${prefix}_ISSUER`),
    };
    const minted = mintedSecrets[id];
    if (minted) {
      const values: Record<string, string> = {};
      for (const name of minted.variables) {
        const value = read.string(`${prefix}_${name}`);
        if (value !== undefined) values[name] = value;
      }
      const names = [`${prefix}_CLIENT_ID`, ...minted.variables.map((n) => `${prefix}_${n}`)];
      const set = [providers[id].clientId, ...minted.variables.map((n) => values[n])].filter(Boolean).length;
      if (set !== 0 && set !== names.length) problems.push(`${names.join(', ')} must be set together`);
      else if (set !== 0) problems.push(...minted.problems(values).map((p) => `${prefix}_${p}`));
      providers[id].secretVariables = values;
    } else if (Boolean(providers[id].clientId) !== Boolean(providers[id].clientSecret)) {
      problems.push(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET must be set together`);
    }
  }

  // Provider API calls (providerRequest / callProvider) and the gateway's own app tokens.
  for (const id of providerIds) {
    const prefix = envPrefix(id);
    const settings = providers[id]!;
    for (const [name, key] of [
      [`${prefix}_PROXY_ALLOW`, 'proxyAllow'],
      [`${prefix}_PROXY_APP_ALLOW`, 'proxyAppAllow'],
    ] as const) {
      const raw = read.string(name);
      if (raw === undefined) continue;
      const { rules, problems: bad } = parseRules(splitRules(raw));
      problems.push(...bad.map((p) => `${name}: ${p}`));
      settings[key] = rules.map((r) => r.text);
    }
    settings.appCredentials = read.bool(`${prefix}_APP_CREDENTIALS`, false);
    if (settings.appCredentials && !settings.clientId)
      problems.push(`${prefix}_APP_CREDENTIALS needs ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET`);
  }
  const gatewayApiKey = read.string('GATEWAY_API_KEY');
  if (gatewayApiKey !== undefined && (gatewayApiKey.length < 32 || /\s/.test(gatewayApiKey))) {
    problems.push('GATEWAY_API_KEY must be at least 32 characters without spaces (e.g. `openssl rand -base64 32`)');
  }

  const config: Config = {
    port,
    host,
    publicUrl,
    production,
    introspection: read.bool('GRAPHQL_INTROSPECTION', !production),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFormat: read.string('LOG_FORMAT') === undefined ? undefined : read.oneOf('LOG_FORMAT', ['pretty', 'json'] as const, 'json'),
    redisUrl,
    redisClusterNodes: redisClusterNodes.length > 0 ? redisClusterNodes : undefined,
    storeNamespace:
      read.matching(
        'STORE_NAMESPACE',
        /^[A-Za-z0-9_.:-]{1,64}$/,
        'letters, digits and _ . : - (no braces: they would change the Redis Cluster hash tag)',
      ) ?? 'oauth-gateway',
    memoryStoreMaxEntries: read.int('MEMORY_STORE_MAX_ENTRIES', 500000, 100, 100000000),
    encryptionKeys,
    stateTtlSeconds: read.int('STATE_TTL_SECONDS', 600, 10, 86400),
    sessionTtlSeconds: read.int('SESSION_TTL_SECONDS', 2592000, 60, 31536000),
    upstreamTimeoutMs: read.int('UPSTREAM_TIMEOUT_MS', 10000, 100, 120000),
    refreshMarginSeconds: read.int('REFRESH_MARGIN_SECONDS', 60, 0, 3600),
    startAuthRateLimit: read.int('START_AUTH_RATE_LIMIT', 120, 0, 1000000),
    pendingStatesMax: read.int('PENDING_STATES_MAX', 200000, 1, 100000000),
    cookieSameSite: read.oneOf('COOKIE_SAMESITE', ['lax', 'strict', 'none'], 'lax'),
    maxBodyBytes: read.int('MAX_BODY_BYTES', 1048576, 1024, 104857600),
    graphqlMaxDepth: read.int('GRAPHQL_MAX_DEPTH', 8, 1, 100),
    graphqlMaxCost: read.int('GRAPHQL_MAX_COST', 200, 1, 1000000),
    frontendCallbackUrl: read.url('FRONTEND_CALLBACK_URL'),
    frontendSuccessUrl: read.url('FRONTEND_SUCCESS_URL'),
    corsOrigins: read.list('CORS_ORIGINS'),
    corsAllowedHeaders: read.list('CORS_ALLOWED_HEADERS').map((name) => name.toLowerCase()),
    examplePage: read.bool('EXAMPLE_PAGE', !production),
    demoProvider: !production && read.bool('DEMO_PROVIDER', true),
    ...readFrontSettings(read, problems),
    gatewayApiKey,
    proxyRateLimit: read.int('PROXY_RATE_LIMIT', 300, 0, 1000000),
    providers,
    warnings,
  };
  // A /graphql body is a request body too: MAX_BODY_BYTES bounds it as well.
  config.graphqlMaxBodyBytes = Math.min(config.graphqlMaxBodyBytes, config.maxBodyBytes);
  for (const origin of config.corsOrigins) {
    if (origin !== '*' && !isHttpUrl(origin)) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an http(s) origin`);
    } else if (origin !== '*' && new URL(origin).origin !== origin) {
      // Browsers send the bare origin (RFC 6454 §6.1: scheme://host[:port], lower case, no default
      // port, no path), and the match is exact: anything else would never match.
      problems.push(`CORS_ORIGINS: "${origin}" is not a bare origin: write ${new URL(origin).origin}`);
    }
  }
  for (const name of config.corsAllowedHeaders) {
    // A header name is an RFC 9110 §5.6.2 token.
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) problems.push(`CORS_ALLOWED_HEADERS: "${name}" is not a header name`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** The HTTP front's variables: client addresses, connection limits, GraphQL document bounds, metrics. */
function readFrontSettings(read: Reader, problems: string[]) {
  const trustedProxies = read.list('TRUSTED_PROXIES');
  for (const entry of trustedProxies) {
    const problem = trustedProxyProblem(entry);
    if (problem) problems.push(`TRUSTED_PROXIES: ${problem}`);
  }
  const headersTimeoutMs = read.int('HTTP_HEADERS_TIMEOUT_MS', 10000, 100, 600000);
  const requestTimeoutMs = read.int('HTTP_REQUEST_TIMEOUT_MS', 30000, 100, 600000);
  // Node refuses a header timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  const metricsToken = read.string('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) problems.push('METRICS_TOKEN: must be at least 16 characters');
  const metricsPort = read.string('METRICS_PORT') === undefined ? undefined : read.int('METRICS_PORT', 0, 0, 65535);
  return {
    trustedProxies,
    trustedProxyHeader: read.oneOf('TRUSTED_PROXY_HEADER', ['x-forwarded-for', 'forwarded'] as const, 'x-forwarded-for'),
    graphqlMaxBodyBytes: read.int('GRAPHQL_MAX_BODY_BYTES', 65536, 1024, 104857600),
    graphqlMaxTokens: read.int('GRAPHQL_MAX_TOKENS', 3000, 100, 1000000),
    firstByteTimeoutMs: read.int('HTTP_FIRST_BYTE_TIMEOUT_MS', 5000, 100, 600000),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: read.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600000),
    maxConnections: read.int('MAX_CONNECTIONS', 1000, 0, 1000000),
    maxConnectionsPerClient: read.int('MAX_CONNECTIONS_PER_CLIENT', 64, 0, 1000000),
    metricsToken,
    metricsPort,
    metricsHost: read.string('METRICS_HOST') ?? '127.0.0.1',
  };
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name}: "${raw}" must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  matching(name: string, pattern: RegExp, expected: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined || pattern.test(raw)) return raw;
    this.problems.push(`${name}: "${raw}" must be ${expected}`);
    return undefined;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name}: "${raw}" must be true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}: "${raw}" must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string, fallback?: string, protocols = ['http:', 'https:']): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol)) return raw;
    } catch {
      // reported below
    }
    this.problems.push(`${name}: "${raw}" is not a valid ${protocols.map((p) => p.slice(0, -1)).join('/')} URL`);
    return fallback;
  }

  list(name: string, separator: RegExp = /\s*,\s*/): string[] {
    return (this.string(name) ?? '').split(separator).filter(Boolean);
  }

  keys(name: string): Buffer[] {
    const keys: Buffer[] = [];
    for (const [i, encoded] of this.list(name).entries()) {
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) {
        this.problems.push(`${name}: key #${i + 1} must be 32 bytes encoded in base64 (got ${key.length} bytes)`);
      } else {
        keys.push(key);
      }
    }
    return keys;
  }
}

/** Where browsers reach a gateway listening on HOST:PORT when PUBLIC_URL does not say. */
export function defaultPublicUrl(host: string, port: number): string {
  const reachable = ['0.0.0.0', '::', '[::]', ''].includes(host)
    ? '127.0.0.1'
    : host.includes(':') && !host.startsWith('[')
      ? `[${host}]`
      : host;
  return `http://${reachable}:${port}`;
}

/** A set PUBLIC_URL whose port is not the one listened on: the providers' redirects would land elsewhere. */
function publicUrlPortMismatch(publicUrl: string, raw: string | undefined, port: number, fallback: string): string | undefined {
  if (raw === undefined || port === 0 || !isHttpUrl(publicUrl)) return undefined;
  const url = new URL(publicUrl);
  const publicPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (publicPort === port) return undefined;
  return (
    `PUBLIC_URL is ${publicUrl} but the gateway listens on port ${port}: providers will redirect browsers to ` +
    `${publicUrl}/callback/<provider>. Unset PUBLIC_URL to use ${fallback}, or keep it if a proxy forwards that address here.`
  );
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
