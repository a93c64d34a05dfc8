import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically secure random bytes, drawn from a pool that is filled by the CSPRNG 4 KiB at a
 * time. Each `randomBytes` call into Node costs a native job of its own, which for the few bytes of
 * a handle or an IV is most of the work; Node's `randomUUID` buffers its entropy the same way. Every
 * byte is handed out once, and wiped from the pool as it is handed out.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

export function secureRandomBytes(size: number): Buffer {
  if (size > POOL_SIZE) return randomFillSync(Buffer.alloc(size));
  const start = take(size);
  const bytes = Buffer.from(pool.subarray(start, start + size));
  pool.fill(0, start, start + size);
  return bytes;
}

/** `size` secure random bytes as base64url text, written straight from the pool (no Buffer of their own). */
export function secureRandomBase64url(size: number): string {
  if (size > POOL_SIZE) return randomFillSync(Buffer.alloc(size)).toString('base64url');
  const start = take(size);
  const text = pool.toString('base64url', start, start + size);
  pool.fill(0, start, start + size);
  return text;
}

/** The offset of `size` unused bytes of the pool, refilled first when too few are left. */
function take(size: number): number {
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += size;
  return start;
}
