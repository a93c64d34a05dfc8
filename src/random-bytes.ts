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
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return bytes;
}
