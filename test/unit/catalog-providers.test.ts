import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { builtinProviders } from '../../src/providers/index.js';

/** The providers added from the catalog: each ships a guide, documented variables and a read-only allow-list. */
const CATALOG = ['gitlab', 'discord', 'dropbox', 'linkedin', 'reddit', 'strava'];
/** Providers whose API is RPC over POST: their read-only calls are POSTs. */
const RPC = new Set(['dropbox']);
const root = new URL('../../', import.meta.url);
const envExample = readFileSync(new URL('.env.example', root), 'utf8');

describe.each(CATALOG)('catalog provider %s', (id) => {
  const definition = builtinProviders.find((p) => p.id === id)!;
  const prefix = id.toUpperCase().replace(/-/g, '_');

  it('is built in', () => expect(definition).toBeDefined());

  it('has a registration guide naming its redirect URI and variables', () => {
    const guide = new URL(`docs/providers/${id}.md`, root);
    expect(existsSync(guide)).toBe(true);
    const text = readFileSync(guide, 'utf8');
    expect(text).toContain(`/callback/${id}`);
    expect(text).toContain(`${prefix}_CLIENT_ID`);
    expect(text).toContain(`${prefix}_CLIENT_SECRET`);
  });

  it('documents its variables in .env.example', () => {
    for (const name of ['CLIENT_ID', 'CLIENT_SECRET', 'REDIRECT_URI', 'SCOPES']) expect(envExample).toContain(`# ${prefix}_${name}=`);
  });

  it('declares a read-only proxy allow-list', () => {
    expect(definition.proxy?.allow.length).toBeGreaterThan(0);
    for (const rule of definition.proxy!.allow) expect(rule).toMatch(RPC.has(id) ? /^(GET|POST) \/\S*$/ : /^GET \/\S*$/);
  });

  it('uses https endpoints', () => {
    for (const url of [definition.authorizationUrl, definition.tokenUrl, definition.apiUrl, definition.revocationUrl, definition.issuer]) {
      if (url !== undefined) expect(url).toMatch(/^https:\/\//);
    }
  });
});
