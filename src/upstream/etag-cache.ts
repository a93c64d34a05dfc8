import { header, type UpstreamResponse } from './upstream.js';

/**
 * Validated conditional requests (RFC 9110 §13.1.2): the last 200 answer of a GET that carried an
 * ETag, kept per connection and URL, is served again only when the provider confirms it with a
 * 304 to `If-None-Match` (which GitHub does not count against the rate limit). Nothing is served
 * without the provider's say-so. Bounded: the oldest entries go first.
 */
export class EtagCache {
  private readonly entries = new Map<string, { etag: string; response: UpstreamResponse }>();

  constructor(private readonly maxEntries = 10_000) {}

  etag(key: string): string | undefined {
    return this.entries.get(key)?.etag;
  }

  /** The cached answer after a 304, or the fresh answer (remembered when it has an ETag). */
  settle(key: string, response: UpstreamResponse): UpstreamResponse {
    const cached = this.entries.get(key);
    if (response.status === 304 && cached) return cached.response;
    const etag = response.status === 200 ? header(response, 'etag') : undefined;
    if (etag) {
      this.entries.delete(key);
      // A 200 under the validator already held (a provider that ignored If-None-Match) carries the
      // same representation: the copy held is kept, and the fresh answer is not retained beside it.
      // Each retained answer outlives the young generation and is promoted, which under load cost
      // the collector more than the copy is worth.
      this.entries.set(key, cached?.etag === etag ? cached : { etag, response });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    } else if (cached) {
      this.entries.delete(key);
    }
    return response;
  }
}
