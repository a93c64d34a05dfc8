import { ErrorCode } from './codes.js';
import { statusOf } from './catalog.js';

export interface AppErrorDetails {
  provider?: string;
  /** Seconds the client should wait before trying again. */
  retryAfter?: number;
  /** Names of the arguments that failed validation. */
  fields?: string[];
  /** Scopes the provider says the call needs (INSUFFICIENT_SCOPE; RFC 6750 §3.1 `scope`, GitHub's `x-accepted-oauth-scopes`). */
  requiredScopes?: string[];
  /** The underlying error, for the server log only; never sent to a client. */
  cause?: unknown;
}

/**
 * The gateway's one error type. Its message is for humans and never carries a token, a code, a
 * client secret or a stack; `cause` stays on the server.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly provider?: string;
  readonly retryAfter?: number;
  readonly fields?: string[];
  readonly requiredScopes?: string[];

  constructor(code: ErrorCode, message: string, details: AppErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AppError';
    this.code = code;
    this.provider = details.provider;
    this.retryAfter = details.retryAfter;
    this.fields = details.fields;
    this.requiredScopes = details.requiredScopes;
  }

  get status(): number {
    return statusOf(this.code);
  }

  /** The fields a client receives, shared by GraphQL `extensions` and the REST JSON. */
  toExtensions(): Record<string, unknown> {
    return {
      code: this.code,
      http: { status: this.status },
      ...(this.provider !== undefined && { provider: this.provider }),
      ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }),
      ...(this.fields !== undefined && { fields: this.fields }),
      ...(this.requiredScopes !== undefined && { requiredScopes: this.requiredScopes }),
    };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
