/** The gateway's configuration, parsed once at boot from the environment and frozen. */
export interface ProviderSettings {
  clientId?: string;
  clientSecret?: string;
  redirectUri: string;
  scopes?: string[];
  /** `P_ALLOWED_SCOPES`: the only scopes `options.scopes` may ask for besides the defaults. */
  allowedScopes?: string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  apiUrl?: string;
  /** `P_<NAME>_API_URL` for each of the definition's API mounts, by mount name. */
  apiMounts?: Record<string, string>;
  revocationUrl?: string;
  issuer?: string;
  /** `P_PROXY_ALLOW` / `P_PROXY_APP_ALLOW`: rules replacing the definition's allow-lists (validated). */
  proxyAllow?: string[];
  proxyAppAllow?: string[];
  /** `P_APP_CREDENTIALS`: the gateway fetches its own client-credentials token for app calls. */
  appCredentials?: boolean;
  /** The variables a provider that mints its client secret declares (Apple's TEAM_ID, KEY_ID, PRIVATE_KEY), by name. */
  secretVariables?: Record<string, string>;
}

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  production: boolean;
  introspection: boolean;
  logLevel: string;
  /** LOG_FORMAT; undefined: pretty on a terminal outside production, JSON otherwise. */
  logFormat?: 'pretty' | 'json';
  redisUrl?: string;
  redisClusterNodes?: string[];
  /** Size bound of the in-process store (entries). */
  memoryStoreMaxEntries: number;
  /** Key prefix in the store. */
  storeNamespace: string;
  /** Decoded TOKEN_ENCRYPTION_KEY ring; empty means a random per-process key. */
  encryptionKeys: Buffer[];
  stateTtlSeconds: number;
  sessionTtlSeconds: number;
  upstreamTimeoutMs: number;
  /** Refresh an access token this many seconds before it expires. */
  refreshMarginSeconds: number;
  startAuthRateLimit: number;
  /** Flows started within one state lifetime, across replicas on Redis; past it startAuth is RATE_LIMITED. */
  pendingStatesMax: number;
  /** SameSite of the flow-binding cookie (`none` for a frontend on another site or a form_post provider). */
  cookieSameSite: 'lax' | 'strict' | 'none';
  maxBodyBytes: number;
  /** Deepest field nesting a GraphQL operation may have (introspection subtrees aside). */
  graphqlMaxDepth: number;
  /** Highest cost a GraphQL operation may have (see src/graphql/limits.ts). */
  graphqlMaxCost: number;
  frontendCallbackUrl?: string;
  frontendSuccessUrl?: string;
  corsOrigins: string[];
  /** Request headers a listed origin may send, beyond the built-in ones (lower case). */
  corsAllowedHeaders: string[];
  /** Serve the example frontend at `/`. */
  examplePage: boolean;
  /** Start the built-in demo OpenID Provider when no provider is configured (never in production). */
  demoProvider: boolean;
  // --- The HTTP front: client addresses, connection limits, GraphQL document bounds, metrics access ---
  /** Proxies whose forwarding header is believed (IPs and CIDRs); empty: the TCP peer is the client. */
  trustedProxies: string[];
  /** The header those proxies write: `x-forwarded-for` or `forwarded` (RFC 7239). */
  trustedProxyHeader: 'x-forwarded-for' | 'forwarded';
  /** Largest `/graphql` body in bytes (413 above), at most `maxBodyBytes`. */
  graphqlMaxBodyBytes: number;
  /** The parser gives up past this many tokens (graphql-js `maxTokens`). */
  graphqlMaxTokens: number;
  /** A connection that sends nothing this long after opening is closed. */
  firstByteTimeoutMs: number;
  /** The request line and headers must arrive within this (Node's `headersTimeout`). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (Node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** Open connections in total; 0 means no cap. */
  maxConnections: number;
  /** Open connections per client address (IPv6: per /64), trusted proxies exempt; 0 means no cap. */
  maxConnectionsPerClient: number;
  /** Bearer token that unlocks `/metrics` on the public port. */
  metricsToken?: string;
  /** A separate listener for `/metrics` only (0: any free port). */
  metricsPort?: number;
  metricsHost: string;
  /** `GATEWAY_API_KEY`: the bearer key app-token calls (no sessionId) must present; unset refuses them. */
  gatewayApiKey?: string;
  /** `PROXY_RATE_LIMIT`: provider API calls per minute per session, and per provider for the app; 0 disables. */
  proxyRateLimit: number;
  /** Settings of every known provider, by id. */
  providers: Record<string, ProviderSettings>;
  /** Configuration that works but probably not as meant, one line each, logged at start-up. */
  warnings: string[];
}
