import type { ErrorCode } from './generated/schema-enums.js';

/** A failed operation, as the gateway describes it in `errors[0].extensions`. */
export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** The HTTP status the code stands for (`extensions.http.status`), whatever status the answer had. */
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/**
 * What a frontend does about each code. The switch is exhaustive: when the gateway adds a code,
 * regenerating the types makes this fail to compile until the new code is handled.
 */
export function advice(code: ErrorCode): string {
  switch (code) {
    case 'BAD_USER_INPUT':
    case 'UNKNOWN_PROVIDER':
    case 'PROVIDER_NOT_CONFIGURED':
    case 'INTERNAL_SERVER_ERROR':
      return 'A bug in this client or a gateway not set up for it: report it.';
    case 'PROXY_NOT_ALLOWED':
      return "That provider API call is outside the gateway's allow-list for this provider.";
    case 'APP_CREDENTIALS_FAILED':
      return "The provider refused the gateway's own app credentials: the operator must check them.";
    case 'INVALID_STATE':
    case 'TOKEN_EXCHANGE_FAILED':
    case 'INVALID_ID_TOKEN':
      return 'The sign-in did not complete: start it again.';
    case 'ACCESS_DENIED':
      return 'The sign-in was cancelled or refused at the provider.';
    case 'SESSION_NOT_FOUND':
      return 'The session has ended or expired: forget it and connect again.';
    case 'REAUTH_REQUIRED':
      return 'The provider no longer accepts this connection: connect again.';
    case 'INSUFFICIENT_SCOPE':
      return 'Connect again, granting the permissions asked for.';
    case 'PROVIDER_RATE_LIMITED':
    case 'RATE_LIMITED':
      return 'Too many requests: wait retryAfter seconds.';
    case 'PROVIDER_ERROR':
    case 'PROVIDER_UNAVAILABLE':
    case 'STORE_UNAVAILABLE':
      return 'A service is down for now: try again later.';
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}
