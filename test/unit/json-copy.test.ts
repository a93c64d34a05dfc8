import { describe, expect, it } from '@jest/globals';
import { frozenJsonCopy } from '../../src/store/json-copy.js';

/** What a store that keeps JSON text hands back. */
const throughJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

const deeplyFrozen = (value: unknown): boolean =>
  typeof value !== 'object' || value === null || (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));

class Stamp {
  constructor(private readonly at: number) {}
  toJSON(key: string) {
    return { at: this.at, under: key };
  }
}

const samples: Record<string, unknown> = {
  'a state record': {
    provider: 'github',
    codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    nonce: undefined,
    sessionId: undefined,
    redirectUri: 'http://127.0.0.1:4000/callback/github',
    scopes: ['read:user', 'user:email'],
    browser: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  },
  'a connection with claims and dates': {
    accessToken: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
    connectedAt: 1_764_547_200_000,
    claims: { sub: '1', email_verified: true, amr: ['pwd', 'mfa'], address: { country: 'NZ' } },
    at: new Date(0),
    nested: [{ when: new Date(86_400_000) }, [new Date(1)]],
  },
  'values JSON cannot write': {
    missing: undefined,
    fn: () => 1,
    sym: Symbol('s'),
    list: [undefined, () => 1, Symbol('s'), 1],
    numbers: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.1, -5e-324],
  },
  'a toJSON that is given its key': { first: new Stamp(1), list: [new Stamp(2)] },
  'a sparse array': [1, , 3], // eslint-disable-line no-sparse-arrays
  'a Map and a Set (no enumerable own properties)': { map: new Map([[1, 2]]), set: new Set([1]) },
  'a number at the top': -0,
  'null at the top': null,
  'a string at the top': 'text',
  'undefined at the top': undefined,
  'a class instance (own enumerable properties)': new (class {
    visible = 1;
    other = 'x';
  })(),
  'keys that look like indexes': { 2: 'b', 1: 'a', z: 'z', a: 'a' },
  // Claims come from the provider: an own __proto__ key stays a key, as JSON.parse keeps it.
  'an own __proto__ key': JSON.parse('{"claims":{"__proto__":{"admin":true},"sub":"1"}}'),
};

describe('frozenJsonCopy', () => {
  it.each(Object.entries(samples))('gives what a JSON round trip gives, deeply frozen: %s', (_, value) => {
    const copy = frozenJsonCopy(value);
    expect(copy).toStrictEqual(throughJson(value));
    // The same keys in the same order, as JSON writes them.
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(deeplyFrozen(copy)).toBe(true);
  });

  it('shares nothing with what was written', () => {
    const written = { scopes: ['repo'], claims: { sub: '1' } };
    const copy = frozenJsonCopy(written) as typeof written;
    written.scopes.push('admin');
    written.claims.sub = '2';
    expect(copy).toEqual({ scopes: ['repo'], claims: { sub: '1' } });
    expect(Object.isFrozen(written)).toBe(false);
  });

  it('refuses a BigInt as JSON does', () => {
    expect(() => JSON.stringify({ n: 1n })).toThrow(TypeError);
    expect(() => frozenJsonCopy({ n: 1n })).toThrow(TypeError);
  });
});
