import { describe, expect, it } from '@jest/globals';
import { HANDLE_PATTERN, pkceChallenge, randomHandle } from '../../src/auth/random.js';

describe('randomHandle', () => {
  it('is 43 base64url characters', () => {
    const handle = randomHandle();
    expect(handle).toHaveLength(43);
    expect(handle).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('carries 256 bits of randomness', () => {
    const bytes = Buffer.from(randomHandle(), 'base64url');
    expect(bytes).toHaveLength(32);
    // Re-encoding gives the same text: nothing was padding or lost.
    const handle = randomHandle();
    expect(Buffer.from(handle, 'base64url').toString('base64url')).toBe(handle);
  });

  it('never repeats across many calls', () => {
    const handles = new Set(Array.from({ length: 10_000 }, () => randomHandle()));
    expect(handles.size).toBe(10_000);
  });

  it('matches HANDLE_PATTERN, which rejects anything else', () => {
    for (let i = 0; i < 100; i++) expect(randomHandle()).toMatch(HANDLE_PATTERN);
    const handle = randomHandle();
    expect(handle.slice(1)).not.toMatch(HANDLE_PATTERN);
    expect(`${handle}A`).not.toMatch(HANDLE_PATTERN);
    expect(`${handle.slice(1)}=`).not.toMatch(HANDLE_PATTERN);
    expect(`${handle.slice(1)}+`).not.toMatch(HANDLE_PATTERN);
    expect(`${handle.slice(1)}/`).not.toMatch(HANDLE_PATTERN);
  });
});

describe('pkceChallenge', () => {
  it('computes the S256 challenge of RFC 7636 Appendix B', () => {
    // The RFC's 32 random octets, base64url-encoded into its example verifier.
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
      132, 141, 121,
    ];
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(Buffer.from(octets).toString('base64url')).toBe(verifier);
    expect(pkceChallenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('gives a different challenge for a different verifier', () => {
    const verifier = randomHandle();
    const challenge = pkceChallenge(verifier);
    expect(challenge).toMatch(HANDLE_PATTERN);
    expect(challenge).not.toBe(verifier);
    expect(pkceChallenge(randomHandle())).not.toBe(challenge);
  });
});
