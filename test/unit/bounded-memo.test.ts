import { describe, expect, it } from '@jest/globals';
import { BoundedMemo } from '../../src/bounded-memo.js';

describe('a bounded memo', () => {
  it('computes each value once, and starts over when full rather than growing', () => {
    const computed: string[] = [];
    const memo = new BoundedMemo((key: string) => (computed.push(key), key.toUpperCase()), 2);
    expect([memo.get('a'), memo.get('a'), memo.get('b'), memo.get('a')]).toEqual(['A', 'A', 'B', 'A']);
    expect(computed).toEqual(['a', 'b']);
    memo.get('c'); // full: starts over with c alone
    memo.get('a');
    expect(computed).toEqual(['a', 'b', 'c', 'a']);
  });
});
