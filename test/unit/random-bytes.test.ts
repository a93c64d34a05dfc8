import { describe, expect, it } from '@jest/globals';
import { secureRandomBase64url, secureRandomBytes } from '../../src/random-bytes.js';

describe('secureRandomBytes', () => {
  it('returns the number of bytes asked for, across refills of its pool and above its size', () => {
    for (const size of [1, 12, 16, 32, 4095, 4096, 4097, 10_000]) expect(secureRandomBytes(size)).toHaveLength(size);
  });

  it('never hands out the same bytes twice, also across many pool refills', () => {
    const seen = new Set(Array.from({ length: 20_000 }, () => secureRandomBytes(16).toString('hex')));
    expect(seen.size).toBe(20_000);
  });

  it('returns a copy, not a view of its pool: later draws and refills leave it as it was', () => {
    const first = secureRandomBytes(32);
    const copy = Buffer.from(first);
    for (let i = 0; i < 300; i++) secureRandomBytes(32); // past a refill of the 4 KiB pool
    expect(first.equals(copy)).toBe(true);
  });

  it('looks uniform: every byte value shows up about equally often', () => {
    const counts = new Array<number>(256).fill(0);
    const bytes = secureRandomBytes(256 * 400);
    for (const byte of bytes) counts[byte]!++;
    // 400 expected per value; a fair source stays far inside these bounds.
    expect(Math.min(...counts)).toBeGreaterThan(250);
    expect(Math.max(...counts)).toBeLessThan(550);
  });
});

describe('secureRandomBase64url', () => {
  it('writes the bytes asked for as base64url, across refills of the pool and above its size', () => {
    for (const size of [1, 16, 32, 4095, 4096, 4097, 10_000]) {
      const text = secureRandomBase64url(size);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(Buffer.from(text, 'base64url')).toHaveLength(size);
    }
  });

  it('never hands out the same bytes twice, nor bytes secureRandomBytes handed out', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      seen.add(Buffer.from(secureRandomBase64url(16), 'base64url').toString('hex'));
      seen.add(secureRandomBytes(16).toString('hex'));
    }
    expect(seen.size).toBe(20_000);
  });
});
