import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';

/**
 * A fixed one-minute window per key (a client address, a session), in process memory. It bounds how
 * fast one client can create states (each a store record) or call a provider's API through one
 * replica; `limit` 0 turns it off.
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    /** What is counted, for the error message. */
    private readonly what = 'authorization requests',
  ) {}

  hit(client: string): void {
    if (this.limit === 0) return;
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      // Dropping the whole map each window keeps memory bounded by one window's distinct clients.
      this.windowStart = now;
      this.counts = new Map();
    }
    const count = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, count);
    if (count > this.limit) {
      const retryAfter = Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
      throw new AppError(ErrorCode.RATE_LIMITED, `Too many ${this.what}; retry after ${retryAfter} s.`, { retryAfter });
    }
  }
}
