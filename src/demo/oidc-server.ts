import { generateKeyPair, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import Provider, { type Adapter, type AdapterPayload, type Configuration, type JWK } from 'oidc-provider';

/** A confidential client of the demo provider (RFC 6749 §2.1), authenticating with HTTP Basic (§2.3.1). */
export interface OidcClientConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/** The one account of the demo provider, as its standard claims (OIDC Core §5.1). */
export interface DemoUser {
  sub: string;
  name: string;
  email: string;
  email_verified: boolean;
  preferred_username: string;
  picture?: string;
}

export interface OidcServerOptions {
  /** Also the host of the issuer URL. Default `127.0.0.1`. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  clients: OidcClientConfig[];
  /** The one account: any login name at the login form signs in as this user (its `sub` is fixed). */
  user?: DemoUser;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default true: every refresh returns a new refresh token and the old one stops working. */
  rotateRefreshTokens?: boolean;
  /** Keys signing the provider's cookies. Default: random per process. */
  cookieKeys?: string[];
}

export interface RunningOidcServer {
  /** `http://HOST:PORT`. */
  issuer: string;
  close(): Promise<void>;
}

/** A clearly fake user, signed in whatever name is typed at the login form. */
export const DEMO_USER: DemoUser = Object.freeze({
  sub: 'demo-user',
  name: 'Demo User',
  email: 'demo@example.com',
  email_verified: true,
  preferred_username: 'demo',
});

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Starts a real OpenID Provider (`oidc-provider`) on loopback: the gateway's built-in demo provider,
 * and the authorization server of the integration tests.
 *
 * - Authorization code flow only (RFC 6749 §4.1), PKCE with S256 required of every client (RFC 7636,
 *   as RFC 9700 §2.1.1 recommends), `iss` on every authorization response (RFC 9207).
 * - http redirect URIs on loopback are accepted (RFC 8252 §7.3).
 * - Refresh tokens are issued to these confidential clients without `offline_access`, and rotated on
 *   use unless told otherwise (RFC 9700 §4.14.2); revocation (RFC 7009) and introspection (RFC 7662).
 * - The login and consent pages are oidc-provider's development interactions; their "Cancel"
 *   answers `error=access_denied` (RFC 6749 §4.1.2.1).
 *
 * oidc-provider still prints two notices of its own, on import (a Node.js release older than it wants)
 * and per instance (development interactions are on); everything it would otherwise warn about is configured.
 */
export async function startOidcServer(options: OidcServerOptions): Promise<RunningOidcServer> {
  const host = options.host ?? '127.0.0.1';
  let handle: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });

  // The issuer names the port, which an ephemeral listen only tells afterwards.
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    const user = options.user ?? DEMO_USER;
    const provider = new Provider(issuer, await configuration(options, user));
    // The development login form signs in whatever name is typed; here any name and password are the one user.
    provider.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
      // A lost or expired interaction is left to oidc-provider's own route, which renders the error.
      const details = await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined);
      if (details?.prompt.name !== 'login') return next();
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    });
    handle = provider.callback();
  } catch (error) {
    await close();
    throw error;
  }
  return { issuer, close };
}

async function configuration(options: OidcServerOptions, user: DemoUser): Promise<Configuration> {
  const ownToken = (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId;
  return {
    adapter: memoryAdapter(),
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [await signingKey()] },
    cookies: { keys: options.cookieKeys ?? [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    // OIDC Core §5.4: the claims each scope releases.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'picture'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true, allowedPolicy: ownToken },
      introspection: { enabled: true, allowedPolicy: ownToken },
    },
    // oidc-provider takes `sub` from the account id (OIDC Core §2).
    findAccount: (_ctx, accountId) => (accountId === user.sub ? { accountId, claims: () => ({ ...user }) } : undefined),
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: options.rotateRefreshTokens ?? true,
    // Refresh tokens outlive the browser session at the provider, as offline access would.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * DAY_SECONDS,
      Interaction: 3600,
      Session: 14 * DAY_SECONDS,
      Grant: 14 * DAY_SECONDS,
    },
    clientBasedCORS: () => false,
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/** A fresh RS256 key per server, so two servers never vouch for each other's tokens. */
async function signingKey(): Promise<JWK> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

/** oidc-provider's storage interface, in this server's memory: lost on close, as a demo's should be. */
function memoryAdapter(): (model: string) => Adapter {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  let writes = 0;
  const live = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) entries.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return (model) => {
    const prefix = `${model}:`;
    const findBy = (field: 'uid' | 'userCode', value: string) => {
      for (const key of entries.keys()) if (key.startsWith(prefix) && live(key)?.[field] === value) return live(key);
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        // Expired entries are only dropped when read; sweep now and then so a long-running demo stays small.
        if (++writes % 500 === 0) for (const key of [...entries.keys()]) live(key);
        entries.set(prefix + id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      },
      find: async (id) => live(prefix + id),
      findByUid: async (uid) => findBy('uid', uid),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      async consume(id) {
        const payload = live(prefix + id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(prefix + id);
      },
      async revokeByGrantId(grantId) {
        for (const [key, entry] of entries) if (key.startsWith(prefix) && entry.payload.grantId === grantId) entries.delete(key);
      },
    };
  };
}
