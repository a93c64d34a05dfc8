/** The gateway's configuration, parsed once at boot from the environment and frozen. */
export interface ProviderSettings {
  clientId?: string;
  clientSecret?: string;
  redirectUri: string;
  scopes?: string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  apiUrl?: string;
  revocationUrl?: string;
  issuer?: string;
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
  /** Settings of every known provider, by id. */
  providers: Record<string, ProviderSettings>;
  /** Configuration that works but probably not as meant, one line each, logged at start-up. */
  warnings: string[];
}
