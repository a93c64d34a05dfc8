import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/config/load-config.js';
import { loadProvidersFile } from '../../src/config/providers-file.js';
import { valueAt } from '../../src/providers/generic.js';

const dir = mkdtempSync(join(tmpdir(), 'providers-file-'));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `providers-${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
function problems(path: string): string[] {
  try {
    loadProvidersFile(path, ['spotify', 'github', 'google']);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

const gitlab = {
  id: 'gitlab',
  name: 'GitLab',
  authorizationUrl: 'https://gitlab.example.com/oauth/authorize',
  tokenUrl: 'https://gitlab.example.com/oauth/token',
  profileUrl: 'https://gitlab.example.com/api/v4/user',
  scopes: ['read_user'],
  clientAuth: 'client_secret_post',
  profile: { id: 'id', displayName: 'name', username: 'username', email: 'email', avatarUrl: 'avatar_url', profileUrl: 'web_url' },
};

describe('PROVIDERS_FILE', () => {
  it('declares OIDC providers by issuer and OAuth2 providers by endpoints and mapping', () => {
    const defs = loadProvidersFile(
      file({ providers: [{ id: 'keycloak', name: 'Keycloak', issuer: 'https://sso.example.com/realms/main' }, gitlab] }),
      ['spotify'],
    );
    expect(defs.map((d) => [d.id, d.protocol])).toEqual([
      ['keycloak', 'OIDC'],
      ['gitlab', 'OAUTH2'],
    ]);
    expect(defs[0]).toMatchObject({ issuer: 'https://sso.example.com/realms/main', defaultScopes: ['openid', 'email', 'profile'] });
    expect(defs[1]).toMatchObject({ tokenUrl: gitlab.tokenUrl, clientAuth: 'client_secret_post', defaultScopes: ['read_user'] });
  });

  it('declares a proxy: an API base and allow-lists, every rule validated', () => {
    const [defined] = loadProvidersFile(
      file([{ ...gitlab, apiUrl: 'https://gitlab.example.com/api/v4', proxy: { allow: ['GET /projects/**'], appAllow: [] } }]),
      [],
    );
    expect(defined).toMatchObject({ apiUrl: 'https://gitlab.example.com/api/v4', proxy: { allow: ['GET /projects/**'], appAllow: [] } });
    // Without a proxy member the provider has no proxy at all (default deny).
    expect(loadProvidersFile(file([gitlab]), [])[0]!.proxy).toBeUndefined();
    expect(problems(file([{ ...gitlab, proxy: { allow: ['GET /a', 'SEND /b'], extra: 1 } }]))).toEqual([
      'PROVIDERS_FILE: provider #1 ("gitlab"): unknown key "proxy.extra"',
      expect.stringMatching(/^PROVIDERS_FILE: provider #1 \("gitlab"\): "proxy.allow": "SEND \/b": the method must be one of/),
    ]);
    expect(problems(file([{ ...gitlab, proxy: { allow: 'GET /a' } }]))).toEqual([
      'PROVIDERS_FILE: provider #1 ("gitlab"): "proxy.allow" must be an array of "METHOD /pattern" rules',
    ]);
  });

  it('accepts a bare array', () => {
    expect(loadProvidersFile(file([gitlab]), [])).toHaveLength(1);
  });

  it('lists every problem: unknown keys, bad URLs, duplicate and reserved ids, missing mapping', () => {
    const found = problems(
      file([
        { ...gitlab, tokenUrl: 'ftp://nope', colour: 'blue' },
        { id: 'github', name: 'Mine', issuer: 'https://example.com' },
        { id: 'okta', name: 'Okta', issuer: 'not a url' },
        { id: 'okta', name: 'Okta again', issuer: 'https://okta.example.com' },
        { ...gitlab, id: 'Bad Id', profile: { email: 'email', age: 'age' } },
        'not an object',
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/#1 \("gitlab"\): unknown key "colour"/),
        expect.stringMatching(/#1 \("gitlab"\): "tokenUrl" must be an http\(s\) URL/),
        expect.stringMatching(/#2 \("github"\): the id "github" is already taken/),
        expect.stringMatching(/#3 \("okta"\): "issuer" must be an http\(s\) URL/),
        expect.stringMatching(/#4 \("okta"\): the id "okta" is already taken/),
        expect.stringMatching(/#5 .*"id" must be/),
        expect.stringMatching(/#5 .*"profile.id" is required/),
        expect.stringMatching(/#5 .*"profile.age" is not a profile field/),
        expect.stringMatching(/#6: must be an object/),
      ]),
    );
    expect(found.every((p) => p.startsWith('PROVIDERS_FILE: '))).toBe(true);
  });

  it('says so when the file is missing or not JSON', () => {
    expect(problems(join(dir, 'missing.json'))).toEqual([expect.stringMatching(/cannot be read/)]);
    expect(problems(file('{ nope'))).toEqual([expect.stringMatching(/is not valid JSON/)]);
    expect(problems(file({ providers: 'x' }))).toEqual([expect.stringMatching(/must hold an array/)]);
  });

  it('reads mapping paths with dots and indexes', () => {
    const doc = { data: { user: { id: 7, images: [{ url: 'a' }, { url: 'b' }] } } };
    expect(valueAt(doc, 'data.user.id')).toBe(7);
    expect(valueAt(doc, 'data.user.images[1].url')).toBe('b');
    expect(valueAt(doc, 'data.user.images.0.url')).toBe('a');
    expect(valueAt(doc, 'data.nope.id')).toBeUndefined();
  });
});

describe('PROVIDERS_FILE through the gateway', () => {
  it('reserves the id of the built-in demo provider', async () => {
    const { startGateway } = await import('../../src/gateway.js');
    const path = file([{ id: 'demo', name: 'Mine', issuer: 'https://idp.example.com' }]);
    // Refused while the configuration loads, before anything listens (DEMO_PROVIDER off: a failing
    // assertion must not leave a server running).
    const started = startGateway({ env: { PROVIDERS_FILE: path, PORT: '0', HOST: '127.0.0.1', DEMO_PROVIDER: 'false' } });
    await expect(started.then((gw) => gw.close())).rejects.toThrow(/the id "demo" is already taken/);
  });
});
