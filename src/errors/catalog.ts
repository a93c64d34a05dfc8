import { ErrorCode } from './codes.js';

export interface CatalogEntry {
  /** HTTP status sent with the error (GraphQL `extensions.http.status`, REST response status). */
  status: number;
  /** What the code means, for the schema's enum descriptions and the README table. */
  description: string;
}

/** The one table mapping each error code to its HTTP status. A missing code fails to compile. */
export const errorCatalog = {
  [ErrorCode.BAD_USER_INPUT]: { status: 400, description: 'An argument failed validation; `extensions.fields` names which.' },
  [ErrorCode.UNKNOWN_PROVIDER]: { status: 400, description: 'No provider with that id.' },
  [ErrorCode.PROVIDER_NOT_CONFIGURED]: {
    status: 400,
    description: 'The provider exists but has no client credentials on this gateway.',
  },
  [ErrorCode.INVALID_STATE]: {
    status: 400,
    description: 'The state is unknown, expired, already used, started for another provider, or the callback `iss` did not match.',
  },
  [ErrorCode.ACCESS_DENIED]: { status: 400, description: 'The user or the provider refused the authorization.' },
  [ErrorCode.TOKEN_EXCHANGE_FAILED]: {
    status: 400,
    description: 'The provider rejected the authorization code (invalid_grant, bad PKCE verifier, bad client).',
  },
  [ErrorCode.INVALID_ID_TOKEN]: {
    status: 400,
    description: 'The OpenID Connect ID token failed its signature, iss, aud, azp, exp/iat or nonce check.',
  },
  [ErrorCode.SESSION_NOT_FOUND]: {
    status: 401,
    description: 'Unknown or expired session, or no connection to that provider in it.',
  },
  [ErrorCode.REAUTH_REQUIRED]: {
    status: 401,
    description: 'The refresh failed or the provider revoked the grant: the user must connect again.',
  },
  [ErrorCode.INSUFFICIENT_SCOPE]: { status: 403, description: 'The provider refused the call for a missing scope.' },
  [ErrorCode.PROVIDER_RATE_LIMITED]: {
    status: 429,
    description: 'The provider rate-limited the gateway; `extensions.retryAfter` gives the seconds to wait.',
  },
  [ErrorCode.RATE_LIMITED]: {
    status: 429,
    description: "The gateway's own rate limit (startAuth per client address); `extensions.retryAfter` is set.",
  },
  [ErrorCode.PROVIDER_ERROR]: {
    status: 502,
    description: 'The provider answered something unusable (bad JSON, an unexpected status, a body over 1 MiB).',
  },
  [ErrorCode.PROVIDER_UNAVAILABLE]: {
    status: 503,
    description: 'The provider timed out, refused the connection, or answered 5xx after retries.',
  },
  [ErrorCode.STORE_UNAVAILABLE]: { status: 503, description: 'The session store (Redis) cannot be reached.' },
  [ErrorCode.INTERNAL_SERVER_ERROR]: {
    status: 500,
    description: 'Anything else; the details are only in the server log.',
  },
  [ErrorCode.PROXY_NOT_ALLOWED]: {
    status: 403,
    description:
      "A provider API call outside the provider's allow-list (method and path), a header that is never relayed, or an app-token call without the gateway key.",
  },
  [ErrorCode.APP_CREDENTIALS_FAILED]: {
    status: 502,
    description: "The provider refused the gateway's own client-credentials token request (RFC 6749 §4.4).",
  },
} as const satisfies Record<ErrorCode, CatalogEntry>;

export function statusOf(code: ErrorCode): number {
  return errorCatalog[code].status;
}
