import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const ids = ['spotify', 'github', 'google'];

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, ids);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts with no environment at all, on the documented defaults', () => {
    const config = loadConfig({}, ids);
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      publicUrl: 'http://127.0.0.1:4000',
      production: false,
      introspection: true,
      stateTtlSeconds: 600,
      sessionTtlSeconds: 2592000,
      upstreamTimeoutMs: 10000,
      startAuthRateLimit: 120,
      maxBodyBytes: 1048576,
      encryptionKeys: [],
      corsOrigins: [],
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.frontendCallbackUrl).toBeUndefined();
    expect(config.frontendSuccessUrl).toBeUndefined();
    expect(Object.keys(config.providers).sort()).toEqual(['github', 'google', 'spotify']);
    for (const id of ids) {
      expect(config.providers[id]).toMatchObject({ redirectUri: `http://127.0.0.1:4000/callback/${id}` });
      expect(config.providers[id]!.clientId).toBeUndefined();
      expect(config.providers[id]!.scopes).toBeUndefined();
    }
  });

  it('builds default redirect URIs from PUBLIC_URL', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://gateway.example.com/' }, ids);
    expect(config.publicUrl).toBe('https://gateway.example.com');
    expect(config.providers.github!.redirectUri).toBe('https://gateway.example.com/callback/github');
  });

  it('reads numbers and names from the environment', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '127.0.0.1',
        STATE_TTL_SECONDS: '300',
        SESSION_TTL_SECONDS: '86400',
        UPSTREAM_TIMEOUT_MS: '2500',
        START_AUTH_RATE_LIMIT: '0',
        MAX_BODY_BYTES: '65536',
      },
      ids,
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      stateTtlSeconds: 300,
      sessionTtlSeconds: 86400,
      upstreamTimeoutMs: 2500,
      startAuthRateLimit: 0,
      maxBodyBytes: 65536,
    });
  });

  it('turns introspection off in production unless GRAPHQL_INTROSPECTION says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, ids)).toMatchObject({ production: true, introspection: false });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }, ids).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', GRAPHQL_INTROSPECTION: 'false' }, ids).introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }, ids).introspection).toBe(true);
    // SEC-15: a production spelled another way is still production, never development defaults.
    for (const NODE_ENV of ['Production', 'PRODUCTION', ' production ']) {
      expect(loadConfig({ NODE_ENV }, ids)).toMatchObject({
        production: true,
        introspection: false,
        examplePage: false,
        demoProvider: false,
      });
    }
  });

  it("accepts the old connector's REDIRECT_URI as Spotify's redirect URI", () => {
    const config = loadConfig({ REDIRECT_URI: 'http://localhost:8000/callback/spotify' }, ids);
    expect(config.providers.spotify!.redirectUri).toBe('http://localhost:8000/callback/spotify');
    expect(config.providers.github!.redirectUri).toBe('http://127.0.0.1:4000/callback/github');
    const both = loadConfig(
      { REDIRECT_URI: 'http://localhost:8000/callback/spotify', SPOTIFY_REDIRECT_URI: 'https://new.example.com/cb' },
      ids,
    );
    expect(both.providers.spotify!.redirectUri).toBe('https://new.example.com/cb');
  });

  it('reports a malformed legacy REDIRECT_URI instead of using it', () => {
    const problems = problemsOf({ REDIRECT_URI: 'not a url' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('REDIRECT_URI');
  });

  it('reads provider credentials and endpoint overrides by the naming rule', () => {
    const config = loadConfig(
      {
        GITHUB_CLIENT_ID: 'Iv1.8a61f9b3a7aba766',
        GITHUB_CLIENT_SECRET: '1ae3f0d1c2b4e5f60718293a4b5c6d7e8f901234',
        GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
        GITHUB_AUTHORIZATION_URL: 'https://ghe.example.com/login/oauth/authorize',
        GITHUB_TOKEN_URL: 'https://ghe.example.com/login/oauth/access_token',
      },
      ids,
    );
    expect(config.providers.github).toMatchObject({
      clientId: 'Iv1.8a61f9b3a7aba766',
      clientSecret: '1ae3f0d1c2b4e5f60718293a4b5c6d7e8f901234',
      apiUrl: 'https://ghe.example.com/api/v3',
      authorizationUrl: 'https://ghe.example.com/login/oauth/authorize',
      tokenUrl: 'https://ghe.example.com/login/oauth/access_token',
    });
    expect(config.providers.spotify!.clientId).toBeUndefined();
  });

  it('finds a hyphenated provider id under an underscored prefix', () => {
    const config = loadConfig({ MY_IDP_CLIENT_ID: 'id', MY_IDP_CLIENT_SECRET: 'secret' }, ['my-idp']);
    expect(config.providers['my-idp']).toMatchObject({
      clientId: 'id',
      clientSecret: 'secret',
      redirectUri: 'http://127.0.0.1:4000/callback/my-idp',
    });
  });

  it('accepts scopes separated by spaces, commas or both', () => {
    const config = loadConfig(
      {
        SPOTIFY_SCOPES: 'user-read-email user-read-private',
        GITHUB_SCOPES: 'read:user,user:email',
        GOOGLE_SCOPES: ' openid, email  profile ',
      },
      ids,
    );
    expect(config.providers.spotify!.scopes).toEqual(['user-read-email', 'user-read-private']);
    expect(config.providers.github!.scopes).toEqual(['read:user', 'user:email']);
    expect(config.providers.google!.scopes).toEqual(['openid', 'email', 'profile']);
  });

  it('lists every bad value at once, each naming its variable', () => {
    const env = {
      PORT: 'eighty',
      STATE_TTL_SECONDS: '5',
      UPSTREAM_TIMEOUT_MS: '-1',
      PUBLIC_URL: 'ftp://gateway.example.com',
      LOG_LEVEL: 'loud',
      GRAPHQL_INTROSPECTION: 'maybe',
      FRONTEND_SUCCESS_URL: 'javascript:alert(1)',
    };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(Object.keys(env).length);
    for (const name of Object.keys(env)) {
      expect(problems.filter((p) => p.startsWith(`${name}:`))).toHaveLength(1);
    }
  });

  it('puts one problem per line in the error message', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'x', MAX_BODY_BYTES: 'y' }, ids);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').filter((line) => line.includes('PORT') || line.includes('MAX_BODY_BYTES'))).toHaveLength(2);
  });

  it('requires TOKEN_ENCRYPTION_KEY with REDIS_URL', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('TOKEN_ENCRYPTION_KEY');
    expect(problemsOf({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' })[0]).toContain('TOKEN_ENCRYPTION_KEY');

    const key = randomBytes(32);
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', TOKEN_ENCRYPTION_KEY: key.toString('base64') }, ids);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.encryptionKeys).toHaveLength(1);
    expect(config.encryptionKeys[0]!.equals(key)).toBe(true);
  });

  it('rejects an encryption key that is not 32 bytes', () => {
    for (const length of [16, 31, 33, 64]) {
      const problems = problemsOf({ TOKEN_ENCRYPTION_KEY: randomBytes(length).toString('base64') });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('TOKEN_ENCRYPTION_KEY');
    }
    expect(problemsOf({ TOKEN_ENCRYPTION_KEY: 'not base64 at all!' })[0]).toContain('TOKEN_ENCRYPTION_KEY');
  });

  it('reads a comma-separated key list for rotation, first key first', () => {
    const [current, previous] = [randomBytes(32), randomBytes(32)];
    const config = loadConfig({ TOKEN_ENCRYPTION_KEY: `${current.toString('base64')}, ${previous.toString('base64')}` }, ids);
    expect(config.encryptionKeys.map((k) => k.toString('hex'))).toEqual([current.toString('hex'), previous.toString('hex')]);
    const problems = problemsOf({ TOKEN_ENCRYPTION_KEY: `${current.toString('base64')},${randomBytes(8).toString('base64')}` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('#2');
  });

  it('requires a client secret with a client id, and the reverse', () => {
    const problems = problemsOf({ SPOTIFY_CLIENT_ID: 'abc', GITHUB_CLIENT_SECRET: 'def' });
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.includes('SPOTIFY_CLIENT_SECRET'))).toBe(true);
    expect(problems.some((p) => p.includes('GITHUB_CLIENT_ID'))).toBe(true);
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com', SPOTIFY_SCOPES: 'a b' }, ids);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.providers.spotify)).toBe(true);
    expect(Object.isFrozen(config.providers.spotify!.scopes)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(4000);
  });
});

describe('STORE_NAMESPACE', () => {
  it('refuses braces, which would change the Redis Cluster hash tag of every key', () => {
    expect(() => loadConfig({ STORE_NAMESPACE: '{gw}' }, [])).toThrow(/STORE_NAMESPACE: "\{gw\}" must be letters, digits/);
    expect(loadConfig({ STORE_NAMESPACE: 'tenant-a:gw' }, []).storeNamespace).toBe('tenant-a:gw');
  });

  it('bounds the HTTP front by default, and lists every bad front variable', () => {
    expect(loadConfig({}, ids)).toMatchObject({
      trustedProxies: [],
      trustedProxyHeader: 'x-forwarded-for',
      graphqlMaxBodyBytes: 65536,
      graphqlMaxTokens: 3000,
      firstByteTimeoutMs: 5000,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1000,
      maxConnectionsPerClient: 64,
      metricsHost: '127.0.0.1',
    });
    expect(loadConfig({}, ids).metricsToken).toBeUndefined();
    expect(loadConfig({}, ids).metricsPort).toBeUndefined();
    // A /graphql body is a body: MAX_BODY_BYTES bounds it too.
    expect(loadConfig({ MAX_BODY_BYTES: '4096' }, ids).graphqlMaxBodyBytes).toBe(4096);
    const problems = problemsOf({
      TRUSTED_PROXIES: '10.0.0.0/8,nope',
      TRUSTED_PROXY_HEADER: 'x-real-ip',
      HTTP_HEADERS_TIMEOUT_MS: '20000',
      HTTP_REQUEST_TIMEOUT_MS: '10000',
      MAX_CONNECTIONS_PER_CLIENT: '-1',
      METRICS_TOKEN: 'short',
      METRICS_PORT: 'x',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^TRUSTED_PROXIES: "nope"/),
      expect.stringMatching(/^HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/),
      expect.stringMatching(/^METRICS_TOKEN: must be at least 16 characters/),
      expect.stringMatching(/^METRICS_PORT: "x"/),
      expect.stringMatching(/^TRUSTED_PROXY_HEADER: "x-real-ip" must be one of x-forwarded-for, forwarded/),
      expect.stringMatching(/^MAX_CONNECTIONS_PER_CLIENT: "-1"/),
    ]);
    expect(problems.join('\n')).not.toContain('short');
  });
});

describe('PUBLIC_URL and PORT', () => {
  it('derives PUBLIC_URL, and so every default redirect URI, from PORT and HOST when it is not set', () => {
    const config = loadConfig({ PORT: '4500' }, ids);
    expect(config.publicUrl).toBe('http://127.0.0.1:4500');
    expect(config.providers.github!.redirectUri).toBe('http://127.0.0.1:4500/callback/github');
    expect(loadConfig({ PORT: '4600', HOST: '::' }, ids).publicUrl).toBe('http://127.0.0.1:4600');
    expect(loadConfig({ PORT: '4600', HOST: 'localhost' }, ids).publicUrl).toBe('http://localhost:4600');
    expect(loadConfig({ PORT: '4600', HOST: '::1' }, ids).publicUrl).toBe('http://[::1]:4600');
    expect(loadConfig({ PORT: '4500' }, ids).warnings).toEqual([]);
  });

  it('warns, outside production, when a set PUBLIC_URL is on another port than PORT, naming where providers will redirect', () => {
    const { warnings } = loadConfig({ PORT: '4500', PUBLIC_URL: 'http://127.0.0.1:4000' }, ids);
    expect(warnings).toEqual([expect.stringContaining('providers will redirect browsers to http://127.0.0.1:4000/callback/<provider>')]);
    expect(warnings[0]).toContain('port 4500');
    expect(loadConfig({ PORT: '4500', PUBLIC_URL: 'http://127.0.0.1:4500/' }, ids).warnings).toEqual([]);
    expect(loadConfig({ PORT: '443', PUBLIC_URL: 'https://gw.example.com' }, ids).warnings).toEqual([]);
    expect(loadConfig({ PORT: '4500', PUBLIC_URL: 'https://gw.example.com', NODE_ENV: 'production' }, ids).warnings).toEqual([]);
  });
});

describe('CORS settings', () => {
  it('refuses an origin with a trailing slash or a path, naming the bare origin to write', () => {
    expect(problemsOf({ CORS_ORIGINS: 'http://127.0.0.1:5173/' })).toEqual([expect.stringContaining('write http://127.0.0.1:5173')]);
    expect(problemsOf({ CORS_ORIGINS: 'https://app.example.com/app' })).toEqual([expect.stringContaining('write https://app.example.com')]);
    expect(problemsOf({ CORS_ORIGINS: 'http://app.test:80' })).toEqual([expect.stringContaining('write http://app.test')]);
  });

  it('accepts bare origins and *', () => {
    expect(loadConfig({ CORS_ORIGINS: 'http://127.0.0.1:5173, https://app.example.com, *' }, ids).corsOrigins).toEqual([
      'http://127.0.0.1:5173',
      'https://app.example.com',
      '*',
    ]);
  });

  it('reads extra allowed request headers, lower-cased, and refuses what is not a header name', () => {
    expect(loadConfig({ CORS_ALLOWED_HEADERS: 'X-Request-Id, x-tenant' }, ids).corsAllowedHeaders).toEqual(['x-request-id', 'x-tenant']);
    expect(problemsOf({ CORS_ALLOWED_HEADERS: 'x-ok, bad header' })).toEqual([
      expect.stringContaining('"bad header" is not a header name'),
    ]);
  });
});

describe('LOG_FORMAT', () => {
  it('is pretty or json, and left to the terminal when unset', () => {
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, ids).logFormat).toBe('pretty');
    expect(loadConfig({}, ids).logFormat).toBeUndefined();
    expect(problemsOf({ LOG_FORMAT: 'text' })).toEqual([expect.stringContaining('LOG_FORMAT')]);
  });
});
