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
  revocationUrl?: string;
  issuer?: string;
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
  /** Serve the example frontend at `/`. */
  examplePage: boolean;
  /** Start the built-in demo OpenID Provider when no provider is configured (never in production). */
  demoProvider: boolean;
  /** Settings of every known provider, by id. */
  providers: Record<string, ProviderSettings>;
}
