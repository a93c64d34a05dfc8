import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { validateSync } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import {
  CallProviderArgs,
  CompleteAuthArgs,
  ProviderRequestArgs,
  ProviderSessionArgs,
  SessionArgs,
  StartAuthArgs,
  StartAuthOptions,
} from '../../src/graphql/args.js';
import { HttpHeaderInput, ProviderRequestInput, QueryParamInput } from '../../src/graphql/proxy.types.js';
import { passes, validateArgs } from '../../src/graphql/validate.js';

const handle = 'A'.repeat(43);

/** What type-graphql hands a resolver: class instances all the way down. */
function instance<T extends object>(ctor: new () => T, fields: Record<string, unknown>): T {
  return Object.assign(new ctor(), fields);
}

const request = (fields: Record<string, unknown>) => instance(ProviderRequestInput, { path: '/user/repos', ...fields });
const header = (name: string, value = 'x') => instance(HttpHeaderInput, { name, value });
const param = (name: string, value = 'x') => instance(QueryParamInput, { name, value });

/** Valid and invalid arguments of every kind the schema takes, including nested and `each` rules. */
const cases: Array<[string, object]> = [
  ['a provider and session', instance(ProviderSessionArgs, { provider: 'github', sessionId: handle })],
  ['an upper-case provider id', instance(ProviderSessionArgs, { provider: 'GitHub', sessionId: handle })],
  ['a short session id', instance(ProviderSessionArgs, { provider: 'github', sessionId: 'abc' })],
  ['a session id with a dot', instance(SessionArgs, { sessionId: `${'A'.repeat(42)}.` })],
  ['a session', instance(SessionArgs, { sessionId: handle })],
  ['startAuth without options', instance(StartAuthArgs, { provider: 'github' })],
  ['startAuth with null options', instance(StartAuthArgs, { provider: 'github', options: null })],
  [
    'startAuth with scopes',
    instance(StartAuthArgs, { provider: 'github', options: instance(StartAuthOptions, { scopes: ['repo', 'read:user'] }) }),
  ],
  [
    'a scope with a space',
    instance(StartAuthArgs, { provider: 'github', options: instance(StartAuthOptions, { scopes: ['repo', 'a b'] }) }),
  ],
  ['an empty scope', instance(StartAuthArgs, { provider: 'github', options: instance(StartAuthOptions, { scopes: [''] }) })],
  ['51 scopes', instance(StartAuthArgs, { provider: 'github', options: instance(StartAuthOptions, { scopes: Array(51).fill('s') }) })],
  ['a linking session id', instance(StartAuthArgs, { provider: 'x', options: instance(StartAuthOptions, { sessionId: handle }) })],
  ['a bad linking session id', instance(StartAuthArgs, { provider: 'x', options: instance(StartAuthOptions, { sessionId: 'no' }) })],
  ['options that are not an object', instance(StartAuthArgs, { provider: 'github', options: 'scopes' })],
  ['completeAuth', instance(CompleteAuthArgs, { provider: 'github', code: 'c0de', state: handle })],
  ['an empty code', instance(CompleteAuthArgs, { provider: 'github', code: '', state: handle })],
  ['a long code', instance(CompleteAuthArgs, { provider: 'github', code: 'c'.repeat(2049), state: handle })],
  ['a proxy read', instance(ProviderRequestArgs, { provider: 'github', sessionId: handle, request: request({}) })],
  ['an app read (no session)', instance(ProviderRequestArgs, { provider: 'spotify', sessionId: null, request: request({}) })],
  ['a long path', instance(ProviderRequestArgs, { provider: 'github', request: request({ path: `/${'a'.repeat(4096)}` }) })],
  ['headers', instance(ProviderRequestArgs, { provider: 'github', request: request({ headers: [header('if-none-match')] }) })],
  ['a long header name', instance(ProviderRequestArgs, { provider: 'github', request: request({ headers: [header('h'.repeat(65))] }) })],
  ['21 headers', instance(ProviderRequestArgs, { provider: 'github', request: request({ headers: Array(21).fill(header('accept')) }) })],
  [
    'a long query value',
    instance(ProviderRequestArgs, { provider: 'github', request: request({ query: [param('q', 'v'.repeat(2049))] }) }),
  ],
  ['query params', instance(ProviderRequestArgs, { provider: 'github', request: request({ query: [param('per_page', '100')] }) })],
  ['a header that is not an object', instance(ProviderRequestArgs, { provider: 'github', request: request({ headers: ['accept'] }) })],
  ['a long cursor', instance(ProviderRequestArgs, { provider: 'github', request: request({ after: 'c'.repeat(8193) }) })],
  ['a write', instance(CallProviderArgs, { provider: 'github', method: 'POST', request: request({}), body: { a: 1 } })],
];

describe('argument validation', () => {
  it.each(cases)('the compiled check agrees with class-validator: %s', (_name, args) => {
    const errors = validateSync(args, { skipMissingProperties: true, forbidUnknownValues: false });
    expect(passes(args)).toBe(errors.length === 0);
  });

  it('covers both verdicts', () => {
    const verdicts = cases.map(([, args]) => passes(args));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(5);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(5);
  });

  it("refuses with class-validator's own errors, naming the property and the rule", () => {
    const args = instance(ProviderRequestArgs, { provider: 'github', request: request({ headers: [header('h'.repeat(65))] }) });
    let thrown: unknown;
    try {
      validateArgs(args);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ArgumentValidationError);
    const [error] = (thrown as ArgumentValidationError).extensions.validationErrors;
    expect(error?.property).toBe('request');
    expect(JSON.stringify(error)).toContain('maxLength');
  });

  it('accepts valid arguments without throwing', () => {
    expect(() => validateArgs(instance(ProviderSessionArgs, { provider: 'github', sessionId: handle }))).not.toThrow();
  });
});
