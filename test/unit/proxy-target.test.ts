import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors/app-error.js';
import { apiBase, buildUrl, checkPath, checkQuery, relativeToBase } from '../../src/proxy/target.js';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
};

describe('the path of a provider API call', () => {
  it.each([
    ['an absolute URL', 'https://evil.example/user'],
    ['a scheme-relative URL', '//evil.example/user'],
    ['an empty segment', '/user//repos'],
    ['no leading slash', 'user/repos'],
    ['a dot segment', '/user/../admin'],
    ['a single dot', '/./user'],
    ['an encoded dot segment', '/user/%2e%2e/admin'],
    ['a mixed-case encoded dot segment', '/user/%2E./admin'],
    ['an encoded slash after dots', '/user/..%2Fadmin'],
    ['an encoded slash before dots', '/user/x%2F..'],
    ['double encoding', '/user/%252e%252e/admin'],
    ['a backslash', '/user\\..\\admin'],
    ['an encoded backslash', '/user/%5c..'],
    ['a query string', '/user?access_token=x'],
    ['a fragment', '/user#x'],
    ['a space', '/user repos'],
    ['a control character', '/user\r\nHost: evil'],
    ['an encoded control character', '/user%0d%0aHost:%20evil'],
    ['an encoded NUL', '/user%00'],
    ['a bad escape', '/user%zz'],
    ['non-UTF-8 escapes', '/user%ff'],
    ['raw non-ASCII', '/usér'],
    ['an over-long path', `/${'a'.repeat(2048)}`],
  ])('refuses %s', (_what, path) => {
    const error = refusal(() => checkPath(path));
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.fields).toEqual(['request.path']);
  });

  it('says a path must be relative when given an absolute URL (caught before the empty-segment and origin checks)', () => {
    for (const path of ['https://evil.example/user', 'evil.example/user', 'user']) {
      expect(refusal(() => checkPath(path)).message).toMatch(/must be relative to the API base/);
    }
  });

  it('gives the same verdict the second time: a good path its segments (shared, frozen), a bad one its refusal', () => {
    for (let i = 0; i < 2; i++) {
      expect(checkPath('/user/repos')).toEqual(['user', 'repos']);
      expect(refusal(() => checkPath('/user/%2e%2e/admin')).code).toBe('BAD_USER_INPUT');
    }
    expect(Object.isFrozen(checkPath('/user/repos'))).toBe(true);
  });

  it('keeps %2F inside a segment encoded, and decodes segments once for the rules', () => {
    expect(checkPath('/projects/group%2Fproject/issues')).toEqual(['projects', 'group/project', 'issues']);
    expect(checkPath('/')).toEqual([]);
  });

  it('is joined to the base as a string, keeping the base path (/v1), and stays under it', () => {
    const base = apiBase('https://api.spotify.com/v1/');
    expect(buildUrl(base, { path: '/me/playlists', segments: [], query: [['limit', '2']] })).toBe(
      'https://api.spotify.com/v1/me/playlists?limit=2',
    );
    expect(buildUrl(base, { path: '/projects/a%2Fb', segments: [], query: [] })).toBe('https://api.spotify.com/v1/projects/a%2Fb');
    // The re-check catches what the WHATWG parser would normalise away (its %2e handling), were it to slip through.
    expect(refusal(() => buildUrl(base, { path: '/%2e%2e/%2e%2e/x', segments: [], query: [] })).code).toBe('BAD_USER_INPUT');
  });

  it('refuses credential parameters in the query', () => {
    expect(refusal(() => checkQuery([{ name: 'access_token', value: 'x' }])).fields).toEqual(['request.query']);
    expect(refusal(() => checkQuery([{ name: 'Client_Secret', value: 'x' }])).code).toBe('BAD_USER_INPUT');
    expect(checkQuery([{ name: 'q', value: 'a&b=c' }])).toEqual([['q', 'a&b=c']]);
  });

  it("takes a provider's next URL only when it stays on the base's origin and path", () => {
    const base = apiBase('https://api.github.com/api/v3');
    expect(relativeToBase(base, 'https://api.github.com/api/v3/user/repos?page=2')).toEqual({
      path: '/user/repos',
      query: [['page', '2']],
    });
    expect(relativeToBase(base, 'https://evil.example/api/v3/user/repos')).toBeUndefined();
    expect(relativeToBase(base, 'https://api.github.com/other/user')).toBeUndefined();
    expect(relativeToBase(base, 'https://api.github.com/api/v30/user')).toBeUndefined();
  });

  it('reads a next URL as the URL parser would, whether or not it goes through it', () => {
    const base = apiBase('https://api.github.com/api/v3');
    const parsedAsUrl = (url: string) => {
      const parsed = new URL(url, 'https://api.github.com/api/v3/');
      if (parsed.origin !== base.origin || !parsed.pathname.startsWith('/api/v3/')) return undefined;
      return { path: parsed.pathname.slice('/api/v3'.length), query: [...parsed.searchParams.entries()] };
    };
    const rests = [
      '/user/repos?page=2&per_page=30',
      '/repositories/1/issues?since=2026-01-01T00:00:00Z&q=a+b%20c',
      '/a.b/.c/d./e',
      '/x//y',
      '/x/./y',
      '/x/../../other',
      '/x/%2e%2E/y',
      '/x/%2E/y',
      '/x/.',
      '/x/..?page=2',
      '/x/..',
      '/x%2Fy/%41',
      '/x?q=%zz&r=%2',
      "/x?q='quoted'",
      '/x?q=a#fragment',
      '/x\\..\\..\\other',
      '/x y',
      '/x?q=<b>',
      '/x/\u00e9',
      '/x\t/y',
      ':443/api/v3/x',
      '@evil.example/x',
    ];
    for (const rest of rests) {
      const url = `https://api.github.com/api/v3${rest}`;
      expect({ url, read: relativeToBase(base, url) }).toEqual({ url, read: parsedAsUrl(url) });
    }
  });

  it('checks the path under the base with or without a query, every time', () => {
    const base = apiBase('https://api.github.com/api/v3');
    for (let i = 0; i < 2; i++) {
      expect(buildUrl(base, { path: '/user/repos', segments: [], query: [['q', '#?/../x']] })).toBe(
        'https://api.github.com/api/v3/user/repos?q=%23%3F%2F..%2Fx',
      );
      expect(refusal(() => buildUrl(base, { path: '/%2e%2e/x', segments: [], query: [['page', '2']] })).code).toBe('BAD_USER_INPUT');
    }
    // One joined URL, two bases: it stays under /api/v3 (the parser reads /api/v3/repos), not under /api/v3/user.
    expect(buildUrl(base, { path: '/user/%2e%2e/repos', segments: [], query: [] })).toBe('https://api.github.com/api/v3/user/%2e%2e/repos');
    expect(
      refusal(() => buildUrl(apiBase('https://api.github.com/api/v3/user'), { path: '/%2e%2e/repos', segments: [], query: [] })).code,
    ).toBe('BAD_USER_INPUT');
  });
});
