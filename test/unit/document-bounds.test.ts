import { describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { DOCUMENT_BOUNDS, documentProblem } from '../../src/graphql/document-bounds.js';

const MAX_TOKENS = 3000;

describe('documentProblem: the pre-pass before validation', () => {
  it('accepts the API operations and the full introspection query', () => {
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    for (const query of [
      '{ providers { id name } }',
      'mutation S($p: String!) { startAuth(provider: $p) { state authorizationUrl } }',
      'query P($p: String!, $s: String!) { github: profile(provider: $p, sessionId: $s) { id } spotify: profile(provider: "spotify", sessionId: $s) { id } }',
      introspection,
    ]) {
      expect(documentProblem(query, MAX_TOKENS)).toBeUndefined();
    }
  });

  it('refuses more fragments than the bound, short chains pass', () => {
    const chain = (n: number) =>
      `{ ...f0 } ${Array.from({ length: n }, (_, i) => `fragment f${i} on Query { __typename${i + 1 < n ? ` ...f${i + 1}` : ''} }`).join(' ')}`;
    expect(documentProblem(chain(DOCUMENT_BOUNDS.fragments), MAX_TOKENS)).toBeUndefined();
    expect(documentProblem(chain(DOCUMENT_BOUNDS.fragments + 1), MAX_TOKENS)).toMatch(/more than 20 fragments/);
  });

  it('counts selections inside fragments and inline fragments, as written', () => {
    const within = `{ ...F } fragment F on Query { ${'__typename '.repeat(DOCUMENT_BOUNDS.selections - 1)} }`;
    expect(documentProblem(within, MAX_TOKENS)).toBeUndefined();
    const inline = `{ ... on Query { ${'__typename '.repeat(DOCUMENT_BOUNDS.selections)} } }`;
    expect(documentProblem(inline, MAX_TOKENS)).toMatch(/more than 400 selections/);
  });

  it('counts aliases at every depth', () => {
    const nested = `{ session(sessionId: "x") { ${Array.from({ length: DOCUMENT_BOUNDS.aliases + 1 }, (_, i) => `c${i}: connections { provider }`).join(' ')} } }`;
    expect(documentProblem(nested, MAX_TOKENS)).toMatch(/more than 40 aliased fields/);
  });

  it('leaves unparsable documents, and those past the token limit, to Apollo', () => {
    expect(documentProblem('{ providers { id', MAX_TOKENS)).toBeUndefined();
    expect(documentProblem(`{ ${'a '.repeat(MAX_TOKENS + 1)}}`, MAX_TOKENS)).toBeUndefined();
  });

  it('walks deep nesting without recursion', () => {
    const deep = `{ ${'a { '.repeat(150)}b${' }'.repeat(150)} }`;
    expect(documentProblem(deep, 100_000)).toBeUndefined();
  });
});
