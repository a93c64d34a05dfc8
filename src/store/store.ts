import { hash } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { secureRandomBase64url } from '../random-bytes.js';
import { BoundedMemo } from '../bounded-memo.js';
import type { Coordination } from './coordination.js';
import type { Keyring } from './keyring.js';

/** What SealedStore keeps its strings in when they leave the process: keyv (Redis). */
export interface RecordMap {
  get(key: string): Promise<string | undefined | null>;
  getMany(keys: string[]): Promise<Array<string | undefined | null>>;
  set(key: string, value: string, ttlMs: number): Promise<unknown>;
  /** Whether this call removed the key. */
  delete(key: string): Promise<boolean>;
  disconnect(): Promise<void>;
}

/**
 * The in-process map (create-store.ts). It answers at once, so the store calls it directly rather
 * than through a promise per operation, and it keeps each record as a deeply frozen copy of what
 * JSON would keep (see json-copy.ts), not as JSON text: nothing is written out on a put or parsed on
 * a read, every reader can share the copy, and none can change what the store holds.
 */
export interface LocalRecords {
  readonly local: true;
  keep(key: string, value: unknown, ttlMs: number): void;
  read(key: string): unknown;
  /** Whether this call removed the key. */
  remove(key: string): boolean;
  disconnect(): void;
}

const digestOf = (handle: string) => hash('sha256', handle, 'base64url');
const keyOf = (kind: string, digest: string, suffix: string | undefined) =>
  suffix === undefined ? `${kind}:{${digest}}` : `${kind}:{${digest}}:${suffix}`;
const SESSION_DIGESTS = new BoundedMemo(digestOf, 4096);

/**
 * The gateway's records. Every key is a SHA-256 hash of the handle it is looked up by (state,
 * session id), and every write has a TTL: a dump of the store yields no usable handle and nothing
 * that lives forever. Every value that leaves the process (Redis) is sealed with the key ring, so a
 * dump yields no token either. The in-process records (LocalRecords) are not sealed: they never
 * leave the process's memory, where the ring's key would sit beside them, so sealing them would
 * protect nothing and cost an AES-GCM context on every read and write.
 */
export class SealedStore {
  private readonly local: LocalRecords | undefined;
  private readonly keyv: RecordMap | undefined;

  /** `opTimeoutMs` 0: the coordination answers in-process and cannot hang, so no timer is armed per call. */
  constructor(
    records: RecordMap | LocalRecords,
    private readonly keyring: Keyring | undefined,
    private readonly coordination: Coordination,
    private readonly opTimeoutMs = 3000,
    private readonly onError: () => void = () => {},
  ) {
    if ('local' in records) this.local = records;
    else this.keyv = records;
  }

  /**
   * The store key for a handle: `kind:{<sha256(handle)>}[:suffix]`. The braces are a Redis Cluster
   * hash tag: a session's record and its connections hash to one slot, so they can be read together.
   */
  static keyFor(kind: string, handle: string, suffix?: string): string {
    return keyOf(kind, digestOf(handle), suffix);
  }

  /**
   * `keyFor` a session id. A session id comes back on every request that reads one of its
   * connections, so the digests of the most recent ones are remembered (a bounded memo) rather than
   * hashed again each time; a state, used once, goes through `keyFor`.
   */
  static sessionKeyFor(kind: string, sessionId: string, suffix?: string): string {
    return keyOf(kind, SESSION_DIGESTS.get(sessionId), suffix);
  }

  async put(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) throw new Error(`refusing to store ${key.split(':')[0]} without a TTL`);
    if (this.local) return this.local.keep(key, value, Math.ceil(ttlMs));
    const json = JSON.stringify(value);
    await this.guard(this.keyv!.set(key, this.keyring ? this.keyring.seal(json, key) : json, Math.ceil(ttlMs)));
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.local) return this.local.read(key) as T | undefined;
    return this.unseal<T>(key, await this.guard(this.keyv!.get(key)));
  }

  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    const local = this.local;
    if (local) return keys.map((key) => local.read(key) as T | undefined);
    if (keys.length === 0) return [];
    const values = await this.guard(this.keyv!.getMany(keys));
    return values.map((value, i) => this.unseal<T>(keys[i]!, value));
  }

  /**
   * Reads and removes a record; of several concurrent callers exactly one gets it, because the store's
   * delete reports whether this caller removed the key (Redis DEL's count, Map#delete).
   */
  async take<T>(key: string): Promise<T | undefined> {
    const local = this.local;
    if (local) {
      const value = local.read(key) as T | undefined;
      return value !== undefined && local.remove(key) ? value : undefined;
    }
    const value = await this.get<T>(key);
    if (value === undefined) return undefined;
    const removed = await this.guard(this.keyv!.delete(key));
    return removed ? value : undefined;
  }

  async delete(key: string): Promise<boolean> {
    if (this.local) return this.local.remove(key);
    return await this.guard(this.keyv!.delete(key));
  }

  /** A lock only one replica holds at a time; returns its owner token, or undefined when taken. */
  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const owner = secureRandomBase64url(16);
    return (await this.guard(this.coordination.acquire(key, owner, ttlMs))) ? owner : undefined;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    await this.guard(this.coordination.release(key, owner));
  }

  /** A short non-secret marker (a version, a fingerprint), written unsealed so Redis can compare it. */
  async putMarker(key: string, value: string, ttlMs: number): Promise<void> {
    await this.guard(this.coordination.set(key, value, ttlMs));
  }

  async compareAndSetMarker(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    return await this.guard(this.coordination.compareAndSet(key, expected, next, ttlMs));
  }

  async deleteMarker(key: string): Promise<void> {
    await this.guard(this.coordination.delete(key));
  }

  /** See Coordination.countWithin: a bounded counter shared by every replica on the same store. */
  async countWithin(keys: string[], limit: number, ttlMs: number): Promise<boolean> {
    return await this.guard(this.coordination.countWithin(keys, limit, ttlMs));
  }

  /** Resolves when the store answers a round trip. */
  async ping(): Promise<void> {
    // The in-process records have nothing to reach.
    if (this.keyv) await this.guard(this.keyv.get('ping'));
  }

  /** Disconnects, waiting at most the operation bound (a dead Redis never answers QUIT). */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opTimeoutMs || 1000)));
    if (this.local) this.local.disconnect();
    else await Promise.race([this.keyv!.disconnect().catch(() => undefined), bound]);
    clearTimeout(timer);
  }

  private unseal<T>(key: string, sealed: string | undefined | null): T | undefined {
    if (typeof sealed !== 'string') return undefined;
    const json = this.keyring ? this.keyring.open(sealed, key) : sealed;
    // A record sealed under a retired key reads as absent: the user connects again.
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  /** Every store failure, and every store call slower than the bound, is STORE_UNAVAILABLE. */
  private async guard<T>(operation: Promise<T>): Promise<T> {
    if (this.opTimeoutMs === 0) {
      try {
        return await operation;
      } catch (cause) {
        this.onError();
        throw new AppError(ErrorCode.STORE_UNAVAILABLE, 'The session store is unavailable; try again shortly.', { cause });
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`store did not answer within ${this.opTimeoutMs} ms`)), this.opTimeoutMs);
    });
    try {
      return await Promise.race([operation, timeout]);
    } catch (cause) {
      this.onError();
      throw new AppError(ErrorCode.STORE_UNAVAILABLE, 'The session store is unavailable; try again shortly.', { cause });
    } finally {
      clearTimeout(timer);
    }
  }
}
