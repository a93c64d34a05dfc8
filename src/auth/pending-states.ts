import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { SealedStore } from '../store/store.js';

/** A state's lifetime is cut into this many buckets; the count covers one more (the current, partial one). */
const BUCKETS = 10;

/**
 * A bound on the flows started within one state lifetime, shared by every replica when the store is
 * Redis: anonymous `startAuth` calls can fill this pool and no more. A full pool refuses new flows
 * with RATE_LIMITED; it never makes room by evicting anything. States started in the last lifetime
 * are counted in buckets of a tenth of it, so the count is an upper bound on the live states and a
 * refused caller learns when the oldest bucket drops out.
 */
export class PendingStates {
  private readonly bucketMs: number;
  /** The counters' keys for the current bucket, built once per bucket. */
  private keys: { bucket: number; keys: string[] } = { bucket: -1, keys: [] };

  constructor(
    private readonly store: SealedStore,
    private readonly limit: number,
    stateTtlMs: number,
  ) {
    this.bucketMs = Math.ceil(stateTtlMs / BUCKETS);
  }

  async admit(now = Date.now()): Promise<void> {
    const current = Math.floor(now / this.bucketMs);
    if (this.keys.bucket !== current) {
      // One hash tag for all buckets: a Redis Cluster runs the count on one slot.
      this.keys = { bucket: current, keys: Array.from({ length: BUCKETS + 1 }, (_, i) => `pending:{states}:${current - BUCKETS + i}`) };
    }
    if (await this.store.countWithin(this.keys.keys, this.limit, this.bucketMs * (BUCKETS + 1))) return;
    const retryAfter = Math.max(1, Math.ceil((this.bucketMs - (now % this.bucketMs)) / 1000));
    throw new AppError(ErrorCode.RATE_LIMITED, `Too many sign-ins are pending on this gateway; retry after ${retryAfter} s.`, {
      retryAfter,
    });
  }
}
