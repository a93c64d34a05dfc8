import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors/app-error.js';
import { missingScopes, shapeAnswer } from '../../src/proxy/answer.js';
import { decodeCursor } from '../../src/proxy/cursor.js';
import { apiBase } from '../../src/proxy/target.js';
import type { UpstreamResponse } from '../../src/upstream/upstream.js';

const response = (status: number, headers: Record<string, string>, text = ''): UpstreamResponse => ({ status, headers, text });
const ctx = {
  provider: 'p',
  credential: 'USER' as const,
  base: apiBase('https://api.example.com/v1'),
  secrets: ['tok-123456', 'secret-abcdef'],
};

describe("shaping a provider's answer", () => {
  it('reads an RFC 6750 insufficient_scope challenge (Google sends one) and its scopes', () => {
    const challenge =
      'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/contacts.readonly openid"';
    expect(missingScopes(response(403, { 'www-authenticate': challenge }))).toEqual([
      'https://www.googleapis.com/auth/contacts.readonly',
      'openid',
    ]);
    expect(missingScopes(response(403, { 'www-authenticate': 'Bearer error="invalid_token"' }))).toBeUndefined();
    // A plain 403 is data.
    expect(missingScopes(response(403, {}))).toBeUndefined();
    // GitHub: an accepted scope among the granted ones means the refusal is not about scope.
    expect(missingScopes(response(404, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'repo, user' }))).toBeUndefined();
  });

  it('finds rel="next" in any position of a Link header, and a next URL in a nested paging object', () => {
    const link =
      '<https://api.example.com/v1/x?page=1>; rel="prev", <https://api.example.com/v1/x?page=3>; rel="next", <https://api.example.com/v1/x?page=9>; rel="last"';
    const linked = shapeAnswer(response(200, { link, 'content-type': 'application/json' }, '[]'), ctx);
    expect(decodeCursor(linked.pageInfo.nextCursor!, 'p')).toEqual({ provider: 'p', path: '/x', query: [['page', '3']] });
    const nested = shapeAnswer(
      response(
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ albums: { next: 'https://api.example.com/v1/browse?offset=20' } }),
      ),
      ctx,
    );
    expect(decodeCursor(nested.pageInfo.nextCursor!, 'p').path).toBe('/browse');
    const outside = shapeAnswer(
      response(200, { 'content-type': 'application/json' }, JSON.stringify({ next: 'https://other.example/v1/x' })),
      ctx,
    );
    expect(outside.pageInfo).toEqual({ hasNextPage: false, nextCursor: null });
  });

  it('gives JSON as json, other text as text, refuses binary bodies and bodies holding a credential', () => {
    expect(shapeAnswer(response(200, { 'content-type': 'application/vnd.github+json' }, '{"a":1}'), ctx)).toMatchObject({
      json: { a: 1 },
      text: null,
    });
    expect(shapeAnswer(response(200, { 'content-type': 'application/json' }, 'not json'), ctx)).toMatchObject({
      json: null,
      text: 'not json',
    });
    expect(shapeAnswer(response(200, { 'content-type': 'text/html' }, '<p>'), ctx)).toMatchObject({ text: '<p>' });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as AppError).code;
      }
      return 'none';
    };
    expect(code(() => shapeAnswer(response(200, { 'content-type': 'image/png' }, '\x89PNG'), ctx))).toBe('PROXY_NOT_ALLOWED');
    expect(code(() => shapeAnswer(response(200, { 'content-type': 'application/json' }, '{"t":"tok-123456"}'), ctx))).toBe(
      'PROVIDER_ERROR',
    );
    expect(code(() => shapeAnswer(response(200, { 'x-echo': 'secret-abcdef', 'x-ratelimit-echo': 'secret-abcdef' }, ''), ctx))).toBe(
      'PROVIDER_ERROR',
    );
  });
});
