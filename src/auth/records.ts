import type { JWTPayload } from 'jose';

/** A started authorization, kept under the hash of its state until the callback claims it. */
export interface StateRecord {
  provider: string;
  codeVerifier: string;
  nonce?: string;
  /** The session to link the new connection into. */
  sessionId?: string;
  redirectUri: string;
  scopes: string[];
  /** SHA-256 of the binding handle of the browser that started the flow (FlowBinding). */
  browser: string;
}

export interface SessionRecord {
  createdAt: number;
  expiresAt: number;
}

/** One provider's tokens within a session. */
export interface ConnectionRecord {
  provider: string;
  scopes: string[];
  connectedAt: number;
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms; absent when the provider's token does not expire. */
  accessTokenExpiresAt?: number;
  /** Epoch ms when the access token was obtained: with its expiry, the token's lifetime. */
  accessTokenObtainedAt?: number;
  /** Epoch ms: the session's expiry, which is also this record's, so reading it needs no session read. */
  sessionExpiresAt: number;
  idTokenClaims?: JWTPayload;
}
