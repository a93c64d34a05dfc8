import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, startFakeGoogle, startFakeSpotify, type FakeGithub, type FakeGoogle, type FakeSpotify } from '../fakes/index.js';
import { CompleteAuthDocument, DisconnectDocument, EndSessionDocument, ProfileDocument, SessionDocument } from '../generated/graphql.js';
import { authorizeAt, connect, startTestGateway, type TestGateway } from './harness.js';

/**
 * The flows every store must carry, run once per store by a short test file (memory, Redis).
 * `storeEnv` gives the variables of the store under test; `afterEachGateway` may inspect or clean it.
 */
export function describeGatewayFlows(
  storeName: string,
  storeEnv: () => Promise<Record<string, string> | undefined>,
  cleanup: () => Promise<void> = async () => {},
) {
  describe(`gateway flows (${storeName} store)`, () => {
    let spotify: FakeSpotify;
    let github: FakeGithub;
    let google: FakeGoogle;
    let gw: TestGateway;
    let enabled = true;

    beforeAll(async () => {
      const env = await storeEnv();
      if (!env) {
        enabled = false;
        return;
      }
      [spotify, github, google] = await Promise.all([startFakeSpotify(), startFakeGithub(), startFakeGoogle()]);
      gw = await startTestGateway({ ...env, ...spotify.env(), ...github.env(), ...google.env() });
    });
    afterAll(async () => {
      if (!enabled) return;
      await gw.close();
      await Promise.all([spotify.close(), github.close(), google.close()]);
      await cleanup();
    });
    const live = (name: string, fn: () => Promise<void>) => it(name, async () => (enabled ? fn() : undefined));

    live('Spotify: connect with Basic client auth and PKCE, then read the profile', async () => {
      const { startAuth, code, state } = await authorizeAt(gw, spotify, 'spotify');
      const url = new URL(startAuth.authorizationUrl);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('redirect_uri')).toBe(`${gw.url}/callback/spotify`);
      expect(url.searchParams.get('state')).toBe(startAuth.state);
      expect(new Date(startAuth.expiresAt).getTime()).toBeGreaterThan(Date.now());

      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(completeAuth.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(completeAuth.scopes).toEqual(['user-read-email', 'user-read-private']);
      expect(completeAuth.accessTokenExpiresAt).not.toBeNull();
      const exchange = spotify.tokenRequests('authorization_code')[0]!;
      expect(exchange.headers.authorization).toMatch(/^Basic /);
      expect(new URLSearchParams(exchange.body).has('client_secret')).toBe(false);

      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId: completeAuth.sessionId });
      expect(profile).toMatchObject({ provider: 'spotify', emailVerified: false });
      expect(profile.id).toBe(profile.raw.id);
      expect(profile.avatarUrl).toBe((profile.raw.images as Array<{ url: string }>)[0]!.url);
    });

    live('GitHub: connect, and read the primary verified e-mail when the profile hides it', async () => {
      const session = await connect(gw, github, 'github');
      expect(session.accessTokenExpiresAt).toBeNull();
      expect(session.scopes).toEqual(['read:user', 'user:email']);
      const { profile } = await gw.request(ProfileDocument, { provider: 'github', sessionId: session.sessionId });
      expect(profile.raw.email).toBeNull();
      expect(profile.email).toEqual(expect.stringContaining('@'));
      expect(profile.emailVerified).toBe(true);
      expect(profile.username).toBe(profile.raw.login);
      expect(github.count('/api/v3/user/emails')).toBeGreaterThan(0);
      // Without it GitHub answers form-encoded; errors come inside HTTP 200 either way.
      expect(github.tokenRequests().at(-1)!.headers.accept).toBe('application/json');
      expect(github.requests.filter((r) => r.path.startsWith('/api/')).every((r) => r.headers['user-agent'])).toBe(true);
    });

    live('Google: connect through discovery with a validated ID token and offline access', async () => {
      const { startAuth, code, state } = await authorizeAt(gw, google, 'google');
      const url = new URL(startAuth.authorizationUrl);
      expect(url.searchParams.get('access_type')).toBe('offline');
      expect(url.searchParams.get('prompt')).toBe('consent');
      expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'google', code, state });
      const { profile } = await gw.request(ProfileDocument, { provider: 'google', sessionId: completeAuth.sessionId });
      expect(profile.id).toEqual(expect.any(String));
      expect(profile.email).toEqual(expect.stringContaining('@'));
      expect(typeof profile.emailVerified).toBe('boolean');
      expect(profile.raw).not.toHaveProperty('nonce');
    });

    live('a state is single use: replaying it fails with INVALID_STATE', async () => {
      const { code, state } = await authorizeAt(gw, github, 'github');
      await gw.request(CompleteAuthDocument, { provider: 'github', code, state });
      const replay = await gw.failure(CompleteAuthDocument, { provider: 'github', code, state });
      expect(replay).toMatchObject({ status: 400, code: 'INVALID_STATE' });
    });

    live('two concurrent completeAuth calls with one state: exactly one succeeds', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => gw.request(CompleteAuthDocument, { provider: 'spotify', code, state })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    live('a state started for one provider is refused by another', async () => {
      const { code, state } = await authorizeAt(gw, github, 'github');
      const foreign = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(foreign).toMatchObject({ code: 'INVALID_STATE', extensions: { provider: 'spotify' } });
    });

    live('a second provider links into the same session', async () => {
      const first = await connect(gw, github, 'github');
      const second = await connect(gw, spotify, 'spotify', { sessionId: first.sessionId });
      expect(second.sessionId).toBe(first.sessionId);
      const { session } = await gw.request(SessionDocument, { sessionId: first.sessionId });
      expect(session.connections.map((c) => c.provider).sort()).toEqual(['github', 'spotify']);
      expect(session.expiresAt).toBe(first.sessionExpiresAt);
      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId: first.sessionId });
      expect(profile.provider).toBe('spotify');
    });

    live('concurrent profile reads on an expired token cause exactly one refresh upstream', async () => {
      const session = await connect(gw, spotify, 'spotify');
      spotify.expireAccessTokens();
      const before = spotify.tokenRequests('refresh_token').length;
      spotify.failNext('token', { delayMs: 100 });
      const reads = await Promise.all(
        Array.from({ length: 10 }, () => gw.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId })),
      );
      expect(reads.every((r) => r.profile.provider === 'spotify')).toBe(true);
      expect(spotify.tokenRequests('refresh_token').length - before).toBe(1);

      // Spotify omitted a new refresh token: the old one is kept and refreshes again.
      spotify.expireAccessTokens();
      await gw.request(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
      expect(spotify.tokenRequests('refresh_token').length - before).toBe(2);
    });

    live('a refresh token the provider killed is REAUTH_REQUIRED, and the connection is forgotten', async () => {
      const session = await connect(gw, spotify, 'spotify');
      spotify.revokeAll();
      spotify.expireAccessTokens();
      const refused = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
      expect(refused).toMatchObject({ status: 401, code: 'REAUTH_REQUIRED', extensions: { provider: 'spotify' } });
      const gone = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId: session.sessionId });
      expect(gone.code).toBe('SESSION_NOT_FOUND');
    });

    live('disconnect revokes at GitHub and forgets the connection', async () => {
      const session = await connect(gw, github, 'github');
      const revocations = github.count(`/api/v3/applications/${github.clientId}/grant`, 'DELETE');
      const { disconnect } = await gw.request(DisconnectDocument, { provider: 'github', sessionId: session.sessionId });
      expect(disconnect).toBe(true);
      expect(github.count(`/api/v3/applications/${github.clientId}/grant`, 'DELETE')).toBe(revocations + 1);
      const gone = await gw.failure(ProfileDocument, { provider: 'github', sessionId: session.sessionId });
      expect(gone.code).toBe('SESSION_NOT_FOUND');
      const { session: view } = await gw.request(SessionDocument, { sessionId: session.sessionId });
      expect(view.connections).toEqual([]);
    });

    live('endSession revokes at Google (RFC 7009) and forgets the session', async () => {
      const session = await connect(gw, google, 'google');
      await connect(gw, spotify, 'spotify', { sessionId: session.sessionId });
      const revocations = google.count('/revoke', 'POST');
      expect((await gw.request(EndSessionDocument, { sessionId: session.sessionId })).endSession).toBe(true);
      expect(google.count('/revoke', 'POST')).toBe(revocations + 1);
      const gone = await gw.failure(SessionDocument, { sessionId: session.sessionId });
      expect(gone).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
    });

    live('disconnect still forgets the connection when the provider cannot be reached', async () => {
      const session = await connect(gw, google, 'google');
      google.failNext('revoke', { status: 503 }, 3);
      expect((await gw.request(DisconnectDocument, { provider: 'google', sessionId: session.sessionId })).disconnect).toBe(true);
      const gone = await gw.failure(ProfileDocument, { provider: 'google', sessionId: session.sessionId });
      expect(gone.code).toBe('SESSION_NOT_FOUND');
      expect(gw.logs.some((l) => l.includes('upstream revocation failed'))).toBe(true);
    });

    live('no token, code, secret or session id is ever logged', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'spotify', code, state });
      await gw.request(ProfileDocument, { provider: 'spotify', sessionId: completeAuth.sessionId });
      const issued = spotify.tokenRequests().length;
      expect(issued).toBeGreaterThan(0);
      const logs = gw.logs.join('\n');
      for (const secret of [code, state, completeAuth.sessionId, spotify.clientSecret]) expect(logs).not.toContain(secret);
      const bearer = spotify.requests.find((r) => r.path === '/v1/me')!.headers.authorization!.split(' ')[1]!;
      expect(logs).not.toContain(bearer);
    });
  });
}
