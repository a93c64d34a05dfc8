import { describe, expect, it } from '@jest/globals';
import { EtagCache } from '../../src/upstream/etag-cache.js';
import type { UpstreamResponse } from '../../src/upstream/upstream.js';

const answer = (status: number, text: string, etag?: string): UpstreamResponse => ({
  status,
  headers: etag ? { etag } : {},
  text,
});

describe('the conditional-request cache', () => {
  it('serves the held copy after a 304, replaces it under a new ETag, and keeps it under the same one', () => {
    const cache = new EtagCache();
    expect(cache.etag('k')).toBeUndefined();
    const first = answer(200, '{"v":1}', 'W/"1"');
    expect(cache.settle('k', first)).toBe(first);
    expect(cache.etag('k')).toBe('W/"1"');
    expect(cache.settle('k', answer(304, ''))).toBe(first);

    // A provider that ignored If-None-Match: the fresh answer is returned, the held copy stays.
    const same = answer(200, '{"v":1}', 'W/"1"');
    expect(cache.settle('k', same)).toBe(same);
    expect(cache.settle('k', answer(304, ''))).toBe(first);

    const changed = answer(200, '{"v":2}', 'W/"2"');
    expect(cache.settle('k', changed)).toBe(changed);
    expect(cache.etag('k')).toBe('W/"2"');
    expect(cache.settle('k', answer(304, ''))).toBe(changed);

    // An answer without a validator drops the copy: nothing is served that the provider cannot confirm.
    cache.settle('k', answer(200, '{"v":3}'));
    expect(cache.etag('k')).toBeUndefined();
  });

  it('is bounded, dropping the least recently stored copy first', () => {
    const cache = new EtagCache(2);
    cache.settle('a', answer(200, 'a', '"a"'));
    cache.settle('b', answer(200, 'b', '"b"'));
    cache.settle('a', answer(200, 'a', '"a"')); // a is the most recent again
    cache.settle('c', answer(200, 'c', '"c"'));
    expect([cache.etag('a'), cache.etag('b'), cache.etag('c')]).toEqual(['"a"', undefined, '"c"']);
  });
});
