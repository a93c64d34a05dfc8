import { describe, expect, it } from '@jest/globals';
import { loadConfig, ConfigError } from '../../src/config/load-config.js';
import { builtinProviders } from '../../src/providers/index.js';
import { findRule, parseRule, parseRules, splitRules, type ProxyRule } from '../../src/proxy/rules.js';

const rules = (...texts: string[]) => parseRules(texts).rules;
const allows = (list: ProxyRule[], method: string, path: string) =>
  findRule(list, method, path === '/' ? [] : path.slice(1).split('/')) !== undefined;

describe('proxy allow-list rules', () => {
  it('match a method and a path: * is one segment, ** any rest (none included)', () => {
    const list = rules('GET /user', 'GET /repos/*/*', 'GET /me/**');
    expect(allows(list, 'GET', '/user')).toBe(true);
    expect(allows(list, 'GET', '/user/emails')).toBe(false);
    expect(allows(list, 'POST', '/user')).toBe(false);
    expect(allows(list, 'GET', '/repos/octocat/hello')).toBe(true);
    expect(allows(list, 'GET', '/repos/octocat')).toBe(false);
    expect(allows(list, 'GET', '/repos/octocat/hello/issues')).toBe(false);
    expect(allows(list, 'GET', '/me')).toBe(true);
    expect(allows(list, 'GET', '/me/playlists/x')).toBe(true);
    expect(allows(list, 'GET', '/mex')).toBe(false);
  });

  it('are case-sensitive in their literals, as providers route paths', () => {
    expect(allows(rules('GET /user'), 'GET', '/User')).toBe(false);
  });

  it.each([
    ['get /user', 'not "METHOD /pattern"'],
    ['GET user', 'not "METHOD /pattern"'],
    ['TRACE /x', 'the method must be one of'],
    ['GET /**/x', '** may only be the last segment'],
    ['GET /a//b', 'segment ""'],
    ['GET /a/../b', 'segment ".."'],
    ['GET /a%2Fb', 'segment "a%2Fb"'],
  ])('refuse the malformed rule %s', (text, reason) => {
    expect(parseRule(text)).toEqual(expect.stringContaining(reason));
  });

  it('split a variable on commas or on the space before the next method', () => {
    expect(splitRules('GET /user/**, POST /repos/*/*/issues GET  /rate_limit')).toEqual([
      'GET /user/**',
      'POST /repos/*/*/issues',
      'GET /rate_limit',
    ]);
  });

  it("every built-in provider's shipped lists parse, and are read-only", () => {
    // Dropbox's API is RPC: its reads are POSTs to documented read-only endpoints, named one by one.
    const readOnlyRpc = /^POST \/2\/(users\/get_(current_account|space_usage)|files\/(list_folder(\/continue)?|get_metadata))$/;
    for (const definition of builtinProviders) {
      for (const list of [definition.proxy?.allow ?? [], definition.proxy?.appAllow ?? []]) {
        const { rules: parsed, problems } = parseRules(list);
        expect(problems).toEqual([]);
        const writes = parsed.filter((r) => r.method !== 'GET').map((r) => r.text);
        expect(writes.filter((rule) => !(definition.id === 'dropbox' && readOnlyRpc.test(rule)))).toEqual([]);
      }
    }
  });

  it("Spotify's app list is its catalogue and never reaches /me", () => {
    const spotify = builtinProviders.find((d) => d.id === 'spotify')!;
    const app = parseRules(spotify.proxy!.appAllow!).rules;
    expect(allows(app, 'GET', '/search')).toBe(true);
    expect(allows(app, 'GET', '/artists/0OdUWJ0sBjDrqHygGUXeCF')).toBe(true);
    expect(allows(app, 'GET', '/me')).toBe(false);
    expect(allows(app, 'GET', '/me/playlists')).toBe(false);
  });
});

describe('proxy configuration', () => {
  const ids = ['github', 'spotify'];
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env, ids);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('P_PROXY_ALLOW and P_PROXY_APP_ALLOW replace the lists, validated at boot', () => {
    const config = loadConfig({ GITHUB_PROXY_ALLOW: 'GET /**, POST /repos/*/*/issues', SPOTIFY_PROXY_APP_ALLOW: 'GET /search' }, ids);
    expect(config.providers.github!.proxyAllow).toEqual(['GET /**', 'POST /repos/*/*/issues']);
    expect(config.providers.spotify!.proxyAppAllow).toEqual(['GET /search']);
    expect(problemsOf({ GITHUB_PROXY_ALLOW: 'GET /user, FETCH /x' })).toEqual([
      expect.stringMatching(/^GITHUB_PROXY_ALLOW: "FETCH \/x": the method must be one of/),
    ]);
  });

  it('P_APP_CREDENTIALS needs the client credentials; GATEWAY_API_KEY must be long; PROXY_RATE_LIMIT a number', () => {
    expect(problemsOf({ SPOTIFY_APP_CREDENTIALS: 'true' })).toEqual([
      'SPOTIFY_APP_CREDENTIALS needs SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET',
    ]);
    expect(problemsOf({ GATEWAY_API_KEY: 'short' })).toEqual([expect.stringMatching(/^GATEWAY_API_KEY must be at least 32/)]);
    expect(problemsOf({ PROXY_RATE_LIMIT: 'many' })).toEqual([expect.stringMatching(/^PROXY_RATE_LIMIT: "many"/)]);
    const config = loadConfig({ SPOTIFY_CLIENT_ID: 'a', SPOTIFY_CLIENT_SECRET: 'b', SPOTIFY_APP_CREDENTIALS: 'true' }, ids);
    expect(config.providers.spotify!.appCredentials).toBe(true);
    expect(config.proxyRateLimit).toBe(300);
  });
});
