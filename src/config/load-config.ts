import type { Config, ProviderSettings } from './config.js';

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
 */
export function loadConfig(
  env: Env,
  providerIds: readonly string[],
  mintedSecrets: Readonly<Record<string, MintedSecretVariables>> = {},
): Readonly<Config> {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const production = env.NODE_ENV === 'production';
  const publicUrl = read.url('PUBLIC_URL', 'http://127.0.0.1:4000')!.replace(/\/+$/, '');
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
    const prefix = id.toUpperCase().replace(/-/g, '_');
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

  const config: Config = {
    port: read.int('PORT', 4000, 0, 65535),
    host: read.string('HOST') ?? '0.0.0.0',
    publicUrl,
    production,
    introspection: read.bool('GRAPHQL_INTROSPECTION', !production),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
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
    examplePage: read.bool('EXAMPLE_PAGE', !production),
    demoProvider: !production && read.bool('DEMO_PROVIDER', true),
    providers,
  };
  for (const origin of config.corsOrigins) {
    if (origin !== '*' && !isHttpUrl(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an http(s) origin`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
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
