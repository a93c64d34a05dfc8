import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { ProfileDocument, ProvidersDocument } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

// A generic OAuth2 provider declared only in PROVIDERS_FILE, served by a fake with Spotify's rules
// (Basic client auth, PKCE, Bearer profile): no provider code is involved.
describe('a generic OAuth2 provider from PROVIDERS_FILE', () => {
  let upstream: FakeSpotify;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startFakeSpotify();
    const file = join(mkdtempSync(join(tmpdir(), 'providers-')), 'providers.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'music-box',
          name: 'Music Box',
          authorizationUrl: `${upstream.url}/authorize`,
          tokenUrl: `${upstream.url}/api/token`,
          profileUrl: `${upstream.url}/v1/me`,
          scopes: ['user-read-email'],
          clientAuth: 'client_secret_basic',
          profile: {
            id: 'id',
            displayName: 'display_name',
            email: 'email',
            avatarUrl: 'images[0].url',
            profileUrl: 'external_urls.spotify',
          },
        },
      ]),
    );
    gw = await startTestGateway({
      PROVIDERS_FILE: file,
      MUSIC_BOX_CLIENT_ID: upstream.clientId,
      MUSIC_BOX_CLIENT_SECRET: upstream.clientSecret,
    });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('is listed beside the built-in providers, configured from MUSIC_BOX_* variables', async () => {
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.find((p) => p.id === 'music-box')).toMatchObject({
      name: 'Music Box',
      protocol: 'OAUTH2',
      configured: true,
      defaultScopes: ['user-read-email'],
    });
  });

  it('completes the flow and maps the profile by the declared paths', async () => {
    const session = await connect(gw, upstream, 'music-box');
    expect(session.scopes).toEqual(['user-read-email']);
    const { profile } = await gw.request(ProfileDocument, { provider: 'music-box', sessionId: session.sessionId });
    const raw = profile.raw as {
      id: string;
      display_name: string;
      email: string;
      images: Array<{ url: string }>;
      external_urls: { spotify: string };
    };
    expect(profile).toMatchObject({
      provider: 'music-box',
      id: raw.id,
      displayName: raw.display_name,
      email: raw.email,
      emailVerified: null,
      avatarUrl: raw.images[0]!.url,
      profileUrl: raw.external_urls.spotify,
    });
  });
});
