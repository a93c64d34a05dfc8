import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, startFakeSpotify, type FakeGithub, type FakeSpotify } from '../fakes/index.js';
import { ProfileDocument, StartAuthDocument } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

describe('P_ALLOWED_SCOPES: callers ask only for the scopes the operator allows (SEC-08)', () => {
  let github: FakeGithub;
  let gw: TestGateway;
  beforeAll(async () => {
    github = await startFakeGithub();
    gw = await startTestGateway({ ...github.env(), GITHUB_ALLOWED_SCOPES: 'repo, read:org' });
  });
  afterAll(async () => {
    await gw.close();
    await github.close();
  });

  it('refuses a scope outside the allow-list and the defaults with BAD_USER_INPUT naming it', async () => {
    const refused = await gw.failure(StartAuthDocument, { provider: 'github', options: { scopes: ['read:user', 'admin:org', 'repo'] } });
    expect(refused).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', extensions: { provider: 'github', fields: ['options.scopes'] } });
    expect(refused.message).toContain('"admin:org"');
  });

  it('accepts the allowed scopes and the defaults', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, {
      provider: 'github',
      options: { scopes: ['repo', 'read:org', 'user:email'] },
    });
    expect(new URL(startAuth.authorizationUrl).searchParams.get('scope')).toBe('repo read:org user:email');
  });

  it('without P_ALLOWED_SCOPES, any well-formed scope may be asked for (and production warns at boot)', async () => {
    const open = await startTestGateway({ ...github.env() });
    const production = await startTestGateway({ ...github.env(), NODE_ENV: 'production' });
    try {
      const { startAuth } = await open.request(StartAuthDocument, { provider: 'github', options: { scopes: ['admin:org'] } });
      expect(new URL(startAuth.authorizationUrl).searchParams.get('scope')).toBe('admin:org');
      expect(production.logs.some((line) => line.includes('GITHUB_ALLOWED_SCOPES is not set'))).toBe(true);
      expect(open.logs.some((line) => line.includes('GITHUB_ALLOWED_SCOPES'))).toBe(false);
    } finally {
      await Promise.all([open.close(), production.close()]);
    }
  });
});

describe('refresh margin (SEC-14)', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    // Tokens that live 45 s, under the default 60 s margin.
    spotify = await startFakeSpotify({ accessTokenTtlSeconds: 45 });
    gw = await startTestGateway({ ...spotify.env() });
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });

  it('a token living less than the margin is not refreshed on every read: at most half its lifetime is margin', async () => {
    const { sessionId } = await connect(gw, spotify, 'spotify');
    const before = spotify.tokenRequests('refresh_token').length;
    for (let i = 0; i < 10; i++) await gw.request(ProfileDocument, { provider: 'spotify', sessionId });
    expect(spotify.tokenRequests('refresh_token').length - before).toBe(0);
  });
});
