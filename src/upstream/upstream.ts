import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, errors, fetch as undiciFetch } from 'undici';
import type { Logger } from 'pino';
import { BoundedMemo } from '../bounded-memo.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { upstreamOutcome, type Metrics } from '../metrics.js';

export interface UpstreamRequest {
  /** Provider id, for errors and logs. */
  provider: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Whether the call may be repeated after a failure. Token-endpoint POSTs never are: a code or a
   * rotated refresh token is single use, so a retry could burn a grant that succeeded upstream.
   */
  idempotent: boolean;
  /**
   * Epoch ms by which the whole call, retries included, must be over: a caller-facing call armed
   * with a real timer, since undici checks its own timeouts on a coarse clock (ticks of about half
   * a second). No retry starts past it.
   */
  deadline?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const MAX_RETRIES = 2;
/** A provider's answer larger than this is refused (PROVIDER_ERROR) rather than held in memory. */
const MAX_BODY_BYTES = 1024 * 1024;
const BACKOFF_MS = 150;
/** A Retry-After longer than this is surfaced to the client instead of waited out. */
const MAX_WAIT_FOR_RETRY_MS = 1000;

/**
 * Every outbound HTTP call to a provider goes through here: one keep-alive pool per origin (undici
 * Agent, created once), a timeout on every call, bounded retries with backoff on idempotent calls,
 * and the translation of network failures, 5xx and rate limits into the gateway's error codes.
 */
export class Upstream {
  private readonly agent: Agent;

  constructor(
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 128,
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let response: UpstreamResponse;
      try {
        response = await this.once(req);
      } catch (cause) {
        this.log(req, started, undefined, cause);
        if (cause instanceof BodyTooLargeError) {
          throw new AppError(ErrorCode.PROVIDER_ERROR, `${req.provider} answered with a body over ${MAX_BODY_BYTES} bytes.`, {
            provider: req.provider,
          });
        }
        // A timed-out attempt has used the whole budget: retrying would multiply the wait.
        const delay = backoff(attempt);
        if (req.idempotent && attempt < MAX_RETRIES && !isTimeout(cause) && withinDeadline(req, delay)) {
          await sleep(delay);
          continue;
        }
        throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `${req.provider} could not be reached.`, {
          provider: req.provider,
          cause,
        });
      }
      this.log(req, started, response.status);

      const rateLimit = rateLimitOf(response);
      if (rateLimit !== undefined) {
        // Never retried here: retrying a 429 at once is what makes a rate limit longer.
        throw new AppError(ErrorCode.PROVIDER_RATE_LIMITED, `${req.provider} is rate-limiting requests; retry after ${rateLimit} s.`, {
          provider: req.provider,
          retryAfter: rateLimit,
        });
      }
      if (response.status >= 500) {
        const wait = retryAfterSeconds(response) * 1000;
        const delay = Math.max(wait, backoff(attempt));
        if (req.idempotent && attempt < MAX_RETRIES && wait <= MAX_WAIT_FOR_RETRY_MS && withinDeadline(req, delay)) {
          await sleep(delay);
          continue;
        }
        throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `${req.provider} is unavailable (HTTP ${response.status}).`, {
          provider: req.provider,
          retryAfter: retryAfterSeconds(response) || undefined,
        });
      }
      return response;
    }
  }

  /** A fetch that uses the same pool and timeouts, for libraries that take one (jose's JWKS). */
  readonly fetch = (input: string | URL, init?: Record<string, unknown>) =>
    undiciFetch(input, {
      ...init,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * One request on the pool. The body is collected straight from the dispatcher's callbacks rather
   * than through a Readable stream: provider answers are small JSON documents read whole, and the
   * stream machinery costs more than the read. Bodies over MAX_BODY_BYTES are cut off.
   */
  private once(req: UpstreamRequest): Promise<UpstreamResponse> {
    const { origin, path } = requestTarget(req.url);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => timer && clearTimeout(timer);
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let headers: UpstreamResponse['headers'] = {};
      this.agent.dispatch(
        { origin, path, method: req.method, headers: req.headers, body: req.body },
        {
          // Declaring onRequestStart is what marks a handler as using undici 7's callback API.
          onRequestStart(controller) {
            if (req.deadline === undefined) return;
            timer = setTimeout(() => controller.abort(new DeadlineError()), Math.max(0, req.deadline - Date.now()));
          },
          onResponseStart(_controller, statusCode, responseHeaders) {
            status = statusCode;
            headers = responseHeaders;
          },
          onResponseData(controller, chunk) {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) return controller.abort(new BodyTooLargeError());
            chunks.push(chunk);
          },
          onResponseEnd() {
            settle();
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            resolve({ status, headers, text: body.toString('utf8') });
          },
          onResponseError(_controller, error) {
            settle();
            reject(error);
          },
        },
      );
    });
  }

  private log(req: UpstreamRequest, started: number, status?: number, error?: unknown): void {
    if (this.metrics) {
      this.metrics.upstreamAnswered(req.provider, upstreamOutcome(status), (performance.now() - started) / 1000);
    }
    if (!this.logger.isLevelEnabled('debug')) return; // on the hot path: build nothing that is not written
    // The path only: query strings and bodies may carry codes or tokens.
    const url = new URL(req.url);
    this.logger.debug(
      {
        provider: req.provider,
        method: req.method,
        url: `${url.origin}${url.pathname}`,
        status,
        durationMs: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : undefined,
      },
      'upstream call',
    );
  }
}

/** The origin and the request target of a URL, as the URL parser normalizes them. */
function parseTarget(url: string): { origin: string; path: string } {
  const { origin, pathname, search } = new URL(url);
  return { origin, path: pathname + search };
}

/**
 * A URL's origin and request target, as the URL parser reads them. The same few URLs come back on
 * every call (a profile endpoint, the API paths a frontend reads), so those without a query, which is
 * where a caller's data would sit, are parsed once.
 */
const QUERYLESS_TARGETS = new BoundedMemo(parseTarget, 1000);
export const requestTarget = (url: string) => (url.includes('?') ? parseTarget(url) : QUERYLESS_TARGETS.get(url));

class BodyTooLargeError extends Error {}
class DeadlineError extends Error {}

/** Whether a retry after `delayMs` would still start before the call's deadline. */
function withinDeadline(req: UpstreamRequest, delayMs: number): boolean {
  return req.deadline === undefined || Date.now() + delayMs < req.deadline;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError ||
    error instanceof DeadlineError
  );
}

function backoff(attempt: number): number {
  return BACKOFF_MS * 2 ** attempt + Math.floor(Math.random() * BACKOFF_MS);
}

export function header(response: UpstreamResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds from `Retry-After` (delta-seconds or HTTP-date, RFC 9110 §10.2.3); 0 when absent. */
function retryAfterSeconds(response: UpstreamResponse): number {
  const raw = header(response, 'retry-after');
  if (!raw) return 0;
  if (/^\d+$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? 0 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The seconds to wait when the response is a rate limit, else undefined: any 429, and GitHub's 403
 * with `X-RateLimit-Remaining: 0` (wait until `X-RateLimit-Reset`) or with `Retry-After` (secondary limits).
 */
function rateLimitOf(response: UpstreamResponse): number | undefined {
  const remaining = header(response, 'x-ratelimit-remaining');
  const exhausted = remaining !== undefined && Number(remaining) === 0;
  const retryAfter = header(response, 'retry-after');
  if (response.status !== 429 && !(response.status === 403 && (exhausted || retryAfter !== undefined))) return undefined;
  if (retryAfter !== undefined) return Math.max(1, retryAfterSeconds(response));
  const reset = Number(header(response, 'x-ratelimit-reset'));
  if (exhausted && reset > 0) return Math.max(1, Math.ceil(reset - Date.now() / 1000));
  return 60;
}

/** Parses a JSON body, or fails with PROVIDER_ERROR: an unusable answer is the provider's fault. */
export function parseJson<T = Record<string, unknown>>(response: UpstreamResponse, provider: string): T {
  try {
    const value: unknown = JSON.parse(response.text);
    if (value !== null && typeof value === 'object') return value as T;
  } catch {
    // reported below
  }
  throw new AppError(ErrorCode.PROVIDER_ERROR, `${provider} answered with an unreadable body (HTTP ${response.status}).`, { provider });
}

/** Maps a non-2xx answer of a provider's resource API (not its token endpoint) to an error. */
export function apiError(response: UpstreamResponse, provider: string): AppError {
  if (response.status === 401) {
    return new AppError(ErrorCode.REAUTH_REQUIRED, `${provider} no longer accepts this connection; connect again.`, { provider });
  }
  if (response.status === 403) {
    return new AppError(ErrorCode.INSUFFICIENT_SCOPE, `${provider} refused the call: the connection lacks a required scope.`, { provider });
  }
  return new AppError(ErrorCode.PROVIDER_ERROR, `${provider} answered HTTP ${response.status}.`, { provider });
}
