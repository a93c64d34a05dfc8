import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spotify as spotifyDefinition } from '../../src/providers/spotify.js';
import type { ProviderDefinition } from '../../src/providers/types.js';
import {
  CompleteAuthDocument,
  DisconnectDocument,
  EndSessionDocument,
  ProfileDocument,
  ProvidersDocument,
  SessionDocument,
  StartAuthDocument,
} from '../generated/graphql.js';
import {
  formBody,
  startFakeGithub,
  startFakeGoogle,
  startFakeSpotify,
  type FakeGithub,
  type FakeGoogle,
  type FakeSpotify,
  type OAuthFake,
} from '../fakes/index.js';
import { authorizeAt, connect, freePort, startTestGateway, testKey, type GraphQLFailure, type TestGateway } from './harness.js';

/**
 * Everything secret a fake has seen or handed out: its client secret, and every code, state, verifier,
 * access token and refresh token that travelled through it. No error message may contain any of them.
 */
function secretsOf(...fakes: OAuthFake[]): string[] {
  const found = new Set<string>();
  for (const fake of fakes) {
    found.add(fake.clientSecret);
    for (const request of fake.requests) {
      const bearer = /^(?:bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearer) found.add(bearer);
      for (const params of [request.query, formBody(request) ?? new URLSearchParams()]) {
        for (const name of ['code', 'state', 'code_verifier', 'refresh_token', 'client_secret', 'token']) {
          const value = params.get(name);
          if (value) found.add(value);
        }
      }
    }
  }
  return [...found].filter((value) => value.length >= 8);
}

/** What every error a client receives must look like, whatever went wrong. */
function expectSafe(failure: GraphQLFailure, secrets: string[]): void {
  expect(failure.extensions).not.toHaveProperty('stacktrace');
  expect(failure.extensions).not.toHaveProperty('exception');
  const text = JSON.stringify({ message: failure.message, extensions: failure.extensions });
  for (const secret of secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

const spotifyProfile = (fake: FakeSpotify) => fake.count('/v1/me', 'GET');
const githubProfile = (fake: FakeGithub) => fake.count('/api/v3/user', 'GET');

describe('errors a client receives through GraphQL', () => {
  let spotify: FakeSpotify;
  let github: FakeGithub;
  let google: FakeGoogle;
  let gw: TestGateway;

  beforeAll(async () => {
    [spotify, github, google] = await Promise.all([startFakeSpotify(), startFakeGithub(), startFakeGoogle()]);
    gw = await startTestGateway({ ...spotify.env(), ...github.env(), ...google.env() });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([spotify.close(), github.close(), google.close()]);
  });

  describe('INVALID_STATE', () => {
    it('refuses a state the gateway never issued', async () => {
      const { code } = await authorizeAt(gw, spotify, 'spotify');
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state: 'S'.repeat(43) });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_STATE', extensions: { provider: 'spotify', http: { status: 400 } } });
      expectSafe(failure, [code, ...secretsOf(spotify)]);
    });

    it('refuses a state that was already used, without calling the provider again', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      await gw.request(CompleteAuthDocument, { provider: 'spotify', code, state });
      const tokenRequests = spotify.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_STATE' });
      expect(spotify.tokenRequests()).toHaveLength(tokenRequests);
      expectSafe(failure, secretsOf(spotify));
    });

    it('refuses a state started for another provider, and burns it', async () => {
      const { code, state } = await authorizeAt(gw, github, 'github');
      const before = { github: github.tokenRequests().length, spotify: spotify.tokenRequests().length };
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_STATE', extensions: { provider: 'spotify' } });
      const again = await gw.failure(CompleteAuthDocument, { provider: 'github', code, state });
      expect(again).toMatchObject({ status: 400, code: 'INVALID_STATE', extensions: { provider: 'github' } });
      expect({ github: github.tokenRequests().length, spotify: spotify.tokenRequests().length }).toEqual(before);
      expectSafe(failure, secretsOf(github));
    });
  });

  describe('TOKEN_EXCHANGE_FAILED', () => {
    it("reports GitHub's HTTP-200 error body as TOKEN_EXCHANGE_FAILED", async () => {
      await connect(gw, github, 'github'); // the same gateway and fake do complete a flow
      const { code, state } = await authorizeAt(gw, github, 'github');
      github.failNext('token', {
        status: 200,
        body: {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
          error_uri:
            'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
        },
      });
      const before = github.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'github', code, state });
      expect(failure).toMatchObject({
        status: 400,
        code: 'TOKEN_EXCHANGE_FAILED',
        extensions: { provider: 'github', http: { status: 400 } },
      });
      expect(github.tokenRequests()).toHaveLength(before + 1);
      expectSafe(failure, [code, state, ...secretsOf(github)]);
    });

    it('reports a GitHub code that was already redeemed as TOKEN_EXCHANGE_FAILED', async () => {
      const first = await authorizeAt(gw, github, 'github');
      await gw.request(CompleteAuthDocument, { provider: 'github', code: first.code, state: first.state });
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'github' });
      const before = github.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'github', code: first.code, state: startAuth.state });
      expect(failure).toMatchObject({ status: 400, code: 'TOKEN_EXCHANGE_FAILED', extensions: { provider: 'github' } });
      expect(github.tokenRequests()).toHaveLength(before + 1);
      expectSafe(failure, [first.code, startAuth.state, ...secretsOf(github)]);
    });

    it('reports a Spotify code the provider rejects (invalid_grant) as TOKEN_EXCHANGE_FAILED', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code: `${code}x`, state });
      expect(failure).toMatchObject({ status: 400, code: 'TOKEN_EXCHANGE_FAILED', extensions: { provider: 'spotify' } });
      expectSafe(failure, [code, state, ...secretsOf(spotify)]);
    });

    it('reports a wrong Spotify client secret as TOKEN_EXCHANGE_FAILED without echoing the secret', async () => {
      const wrongSecret = 'not-the-registered-spotify-secret';
      const misconfigured = await startTestGateway({ ...spotify.env(), SPOTIFY_CLIENT_SECRET: wrongSecret });
      try {
        const { code, state } = await authorizeAt(misconfigured, spotify, 'spotify');
        const before = spotify.tokenRequests().length;
        const failure = await misconfigured.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
        expect(failure).toMatchObject({
          status: 400,
          code: 'TOKEN_EXCHANGE_FAILED',
          extensions: { provider: 'spotify', http: { status: 400 } },
        });
        expect(spotify.tokenRequests()).toHaveLength(before + 1);
        expectSafe(failure, [wrongSecret, code, state, ...secretsOf(spotify)]);
      } finally {
        await misconfigured.close();
      }
    });
  });

  describe('INVALID_ID_TOKEN (Google)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    async function completeGoogle() {
      const { code, state } = await authorizeAt(gw, google, 'google');
      return { code, state, failure: await gw.failure(CompleteAuthDocument, { provider: 'google', code, state }) };
    }

    async function expectRejected(tamper: () => void) {
      tamper();
      const { code, state, failure } = await completeGoogle();
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_ID_TOKEN', extensions: { provider: 'google', http: { status: 400 } } });
      expectSafe(failure, [code, state, ...secretsOf(google)]);
    }

    it('rejects an ID token issued to another client (aud)', () =>
      expectRejected(() => google.idTokenOverrides({ aud: 'someone-else.apps.googleusercontent.com', azp: undefined })));

    it('rejects an ID token whose nonce is not the one sent', () =>
      expectRejected(() => google.idTokenOverrides({ nonce: 'a-nonce-from-another-flow' })));

    it('rejects an ID token that carries no nonce', () => expectRejected(() => google.idTokenOverrides({ nonce: undefined })));

    it('rejects an ID token that expired beyond the clock skew', () =>
      expectRejected(() => google.idTokenOverrides((claims) => ({ ...claims, iat: now() - 3600, exp: now() - 120 }))));

    it('rejects an ID token issued an hour in the future (iat beyond the clock skew)', () =>
      expectRejected(() => google.idTokenOverrides((claims) => ({ ...claims, iat: now() + 3600, exp: now() + 7200 }))));

    it('rejects an ID token from another issuer', () =>
      expectRejected(() => google.idTokenOverrides({ iss: 'https://accounts.evil.example' })));

    it('rejects an ID token signed by a key that is not in the JWKS', () => expectRejected(() => google.signNextIdTokenWithForeignKey()));

    it('rejects an ID token with several audiences whose azp is another client', () =>
      expectRejected(() => google.idTokenOverrides({ aud: [google.clientId, 'other-client'], azp: 'other-client' })));

    it('rejects an ID token with several audiences and no azp', () =>
      expectRejected(() => google.idTokenOverrides({ aud: [google.clientId, 'other-client'], azp: undefined })));

    it('accepts an ID token that expired within the 60 s clock skew', async () => {
      google.idTokenOverrides((claims) => ({ ...claims, iat: now() - 3600, exp: now() - 20 }));
      const { code, state } = await authorizeAt(gw, google, 'google');
      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'google', code, state });
      expect(completeAuth.provider).toBe('google');
    });

    it('refetches the JWKS when the provider rotates its signing key, and the flow succeeds', async () => {
      await connect(gw, google, 'google'); // the current key is cached
      const fetched = google.count('/oauth2/v3/certs', 'GET');
      google.rotateSigningKey();
      const session = await connect(gw, google, 'google');
      expect(session.provider).toBe('google');
      expect(google.count('/oauth2/v3/certs', 'GET')).toBe(fetched + 1);
      const { profile } = await gw.request(ProfileDocument, { provider: 'google', sessionId: session.sessionId });
      expect(profile.email).toBe('ada.lovelace@gmail.com');
    });
  });

  describe('PROVIDER_RATE_LIMITED', () => {
    it('surfaces a token endpoint 429 with its Retry-After, and never retries the POST', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      spotify.failNext('token', { status: 429, headers: { 'Retry-After': '7' } });
      const before = spotify.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(failure).toMatchObject({
        status: 429,
        code: 'PROVIDER_RATE_LIMITED',
        extensions: { provider: 'spotify', retryAfter: 7, http: { status: 429 } },
      });
      expect(spotify.tokenRequests()).toHaveLength(before + 1);
      expectSafe(failure, [code, state, ...secretsOf(spotify)]);
    });

    it("reports GitHub's 403 with X-RateLimit-Remaining: 0 as PROVIDER_RATE_LIMITED, not INSUFFICIENT_SCOPE", async () => {
      const { sessionId } = await connect(gw, github, 'github');
      github.rateLimit(0);
      try {
        const before = githubProfile(github);
        const failure = await gw.failure(ProfileDocument, { provider: 'github', sessionId });
        expect(failure).toMatchObject({
          status: 429,
          code: 'PROVIDER_RATE_LIMITED',
          extensions: { provider: 'github', http: { status: 429 } },
        });
        expect(failure.extensions.retryAfter).toEqual(expect.any(Number));
        expect(failure.extensions.retryAfter as number).toBeGreaterThan(0);
        expect(failure.extensions.retryAfter as number).toBeLessThanOrEqual(61);
        expect(githubProfile(github)).toBe(before + 1);
        expectSafe(failure, secretsOf(github));
      } finally {
        github.rateLimit(5000);
      }
    });

    it("reports GitHub's secondary rate limit (403 with Retry-After) with that Retry-After", async () => {
      const { sessionId } = await connect(gw, github, 'github');
      github.failNext('profile', {
        status: 403,
        body: { message: 'You have exceeded a secondary rate limit.' },
        headers: { 'Retry-After': '30' },
      });
      const failure = await gw.failure(ProfileDocument, { provider: 'github', sessionId });
      expect(failure).toMatchObject({ status: 429, code: 'PROVIDER_RATE_LIMITED', extensions: { provider: 'github', retryAfter: 30 } });
      expectSafe(failure, secretsOf(github));
    });

    it('does not retry a 429 from the profile API', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 429, headers: { 'Retry-After': '2' } });
      const before = spotifyProfile(spotify);
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({ status: 429, code: 'PROVIDER_RATE_LIMITED', extensions: { provider: 'spotify', retryAfter: 2 } });
      expect(spotifyProfile(spotify)).toBe(before + 1);
    });
  });

  describe('PROVIDER_UNAVAILABLE', () => {
    it('answers a token endpoint 503 with PROVIDER_UNAVAILABLE after exactly one POST', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      spotify.failNext('token', { status: 503, body: { error: 'server_error' } });
      const before = spotify.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(failure).toMatchObject({
        status: 503,
        code: 'PROVIDER_UNAVAILABLE',
        extensions: { provider: 'spotify', http: { status: 503 } },
      });
      // A retry would have reached the real endpoint: one POST only, the code is single use.
      expect(spotify.tokenRequests()).toHaveLength(before + 1);
      expectSafe(failure, [code, state, ...secretsOf(spotify)]);
    });

    it('retries a profile 503 twice, then answers PROVIDER_UNAVAILABLE', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 503 }, 3);
      const before = spotifyProfile(spotify);
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({
        status: 503,
        code: 'PROVIDER_UNAVAILABLE',
        extensions: { provider: 'spotify', http: { status: 503 } },
      });
      expect(spotifyProfile(spotify)).toBe(before + 3);
      expectSafe(failure, secretsOf(spotify));
    });

    it('serves the profile when a 503 is followed by a good answer', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 503 });
      const before = spotifyProfile(spotify);
      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId });
      expect(profile).toMatchObject({ provider: 'spotify', id: 'smedjan', displayName: 'Ada Lovelace' });
      expect(spotifyProfile(spotify)).toBe(before + 2);
    });

    it('does not wait out a long Retry-After on a 503: it is surfaced at once', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 503, headers: { 'Retry-After': '30' } });
      const before = spotifyProfile(spotify);
      const started = Date.now();
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(failure).toMatchObject({ status: 503, code: 'PROVIDER_UNAVAILABLE', extensions: { provider: 'spotify', retryAfter: 30 } });
      expect(spotifyProfile(spotify)).toBe(before + 1);
    });

    it('retries connection resets on the profile API a bounded number of times', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', 'reset', 3);
      const before = spotifyProfile(spotify);
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({ status: 503, code: 'PROVIDER_UNAVAILABLE', extensions: { provider: 'spotify' } });
      expect(spotifyProfile(spotify)).toBe(before + 3);
      expectSafe(failure, secretsOf(spotify));
    });

    describe('with UPSTREAM_TIMEOUT_MS=300', () => {
      let fast: TestGateway;
      beforeAll(async () => {
        fast = await startTestGateway({ ...spotify.env(), UPSTREAM_TIMEOUT_MS: '300' });
      });
      afterAll(() => fast.close());

      it('gives up on a hanging token endpoint quickly, without a second POST', async () => {
        const { code, state } = await authorizeAt(fast, spotify, 'spotify');
        spotify.failNext('token', 'hang');
        const before = spotify.tokenRequests().length;
        const started = Date.now();
        const failure = await fast.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
        const elapsed = Date.now() - started;
        expect(failure).toMatchObject({ status: 503, code: 'PROVIDER_UNAVAILABLE', extensions: { provider: 'spotify' } });
        expect(elapsed).toBeLessThan(3000);
        expect(spotify.tokenRequests()).toHaveLength(before + 1);
        expectSafe(failure, [code, state, ...secretsOf(spotify)]);
      });

      it('gives up on a hanging profile API after one timed-out attempt instead of multiplying the wait', async () => {
        const { sessionId } = await connect(fast, spotify, 'spotify');
        spotify.failNext('profile', 'hang');
        const before = spotifyProfile(spotify);
        const started = Date.now();
        const failure = await fast.failure(ProfileDocument, { provider: 'spotify', sessionId });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(failure).toMatchObject({ status: 503, code: 'PROVIDER_UNAVAILABLE', extensions: { provider: 'spotify' } });
        // Only the hung attempt: a retry would have reached the fake (and succeeded).
        expect(spotifyProfile(spotify)).toBe(before + 1);
        expectSafe(failure, secretsOf(spotify));
      });
    });

    it('answers PROVIDER_UNAVAILABLE when the token endpoint refuses connections', async () => {
      const closedPort = await freePort();
      const unreachable = await startTestGateway({ ...spotify.env(), SPOTIFY_TOKEN_URL: `http://127.0.0.1:${closedPort}/api/token` });
      try {
        const { code, state } = await authorizeAt(unreachable, spotify, 'spotify');
        const started = Date.now();
        const failure = await unreachable.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
        expect(Date.now() - started).toBeLessThan(2000);
        expect(failure).toMatchObject({
          status: 503,
          code: 'PROVIDER_UNAVAILABLE',
          extensions: { provider: 'spotify', http: { status: 503 } },
        });
        expect(failure.message).not.toContain(String(closedPort));
        expectSafe(failure, [code, state, ...secretsOf(spotify)]);
      } finally {
        await unreachable.close();
      }
    });
  });

  describe('PROVIDER_ERROR', () => {
    it('answers PROVIDER_ERROR (502) when the profile API sends an HTML page, without retrying', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', 'garbage');
      const before = spotifyProfile(spotify);
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({ status: 502, code: 'PROVIDER_ERROR', extensions: { provider: 'spotify', http: { status: 502 } } });
      expect(spotifyProfile(spotify)).toBe(before + 1);
      expect(failure.message).not.toMatch(/<html|Bad Gateway/i);
      expectSafe(failure, secretsOf(spotify));
    });

    it('answers PROVIDER_ERROR when the token endpoint answers 200 without an access_token', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      spotify.failNext('token', {
        status: 200,
        body: { token_type: 'Bearer', expires_in: 3600, refresh_token: 'AQ-refresh-without-access' },
      });
      const before = spotify.tokenRequests().length;
      const failure = await gw.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(failure).toMatchObject({ status: 502, code: 'PROVIDER_ERROR', extensions: { provider: 'spotify', http: { status: 502 } } });
      expect(spotify.tokenRequests()).toHaveLength(before + 1);
      expectSafe(failure, ['AQ-refresh-without-access', code, state, ...secretsOf(spotify)]);
    });

    it('answers PROVIDER_ERROR for an unexpected status from the profile API', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 418, body: { error: { status: 418, message: "I'm a teapot" } } });
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({ status: 502, code: 'PROVIDER_ERROR', extensions: { provider: 'spotify' } });
    });
  });

  describe('INSUFFICIENT_SCOPE', () => {
    it('answers 403 INSUFFICIENT_SCOPE when the profile API refuses for scope', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.failNext('profile', { status: 403, body: { error: { status: 403, message: 'Insufficient client scope' } } });
      const before = spotifyProfile(spotify);
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
        extensions: { provider: 'spotify', http: { status: 403 } },
      });
      expect(failure.extensions).not.toHaveProperty('retryAfter');
      expect(spotifyProfile(spotify)).toBe(before + 1);
      expectSafe(failure, secretsOf(spotify));
    });
  });

  describe('SESSION_NOT_FOUND', () => {
    it('answers 401 SESSION_NOT_FOUND for a provider the session has no connection to', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      const failure = await gw.failure(ProfileDocument, { provider: 'github', sessionId });
      expect(failure).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND', extensions: { provider: 'github', http: { status: 401 } } });
      expectSafe(failure, [sessionId, ...secretsOf(spotify, github)]);
    });

    it('answers SESSION_NOT_FOUND for a connection after disconnect', async () => {
      const { sessionId } = await connect(gw, github, 'github');
      expect((await gw.request(DisconnectDocument, { provider: 'github', sessionId })).disconnect).toBe(true);
      const failure = await gw.failure(ProfileDocument, { provider: 'github', sessionId });
      expect(failure).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND', extensions: { provider: 'github' } });
      // The session itself survives a disconnect.
      const { session } = await gw.request(SessionDocument, { sessionId });
      expect(session.connections).toEqual([]);
    });

    it('answers SESSION_NOT_FOUND for every use of a session after endSession', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      expect((await gw.request(EndSessionDocument, { sessionId })).endSession).toBe(true);
      const profile = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(profile).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
      expect(await gw.failure(SessionDocument, { sessionId })).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
      expect(await gw.failure(EndSessionDocument, { sessionId })).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
      expect(await gw.failure(StartAuthDocument, { provider: 'github', options: { sessionId } })).toMatchObject({
        status: 401,
        code: 'SESSION_NOT_FOUND',
      });
      expectSafe(profile, [sessionId, ...secretsOf(spotify)]);
    });
  });
});

describe('REAUTH_REQUIRED', () => {
  describe('Spotify, whose grant was revoked', () => {
    let spotify: FakeSpotify;
    let gw: TestGateway;
    beforeEach(async () => {
      spotify = await startFakeSpotify();
      gw = await startTestGateway(spotify.env());
    });
    afterEach(async () => {
      await gw.close();
      await spotify.close();
    });

    it('answers 401 REAUTH_REQUIRED after one refused refresh, then forgets the connection', async () => {
      const { sessionId } = await connect(gw, spotify, 'spotify');
      spotify.revokeAll();
      spotify.expireAccessTokens();
      const failure = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(failure).toMatchObject({ status: 401, code: 'REAUTH_REQUIRED', extensions: { provider: 'spotify', http: { status: 401 } } });
      expect(spotify.tokenRequests('refresh_token')).toHaveLength(1);
      expectSafe(failure, secretsOf(spotify));

      const forgotten = await gw.failure(ProfileDocument, { provider: 'spotify', sessionId });
      expect(forgotten).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND', extensions: { provider: 'spotify' } });
      expect(spotify.tokenRequests('refresh_token')).toHaveLength(1);
      const { session } = await gw.request(SessionDocument, { sessionId });
      expect(session.connections).toEqual([]);
    });
  });

  describe('GitHub, whose non-expiring token the API rejects', () => {
    let github: FakeGithub;
    let gw: TestGateway;
    beforeEach(async () => {
      github = await startFakeGithub();
      gw = await startTestGateway(github.env());
    });
    afterEach(async () => {
      await gw.close();
      await github.close();
    });

    it('answers REAUTH_REQUIRED without attempting a refresh, then forgets the connection', async () => {
      const { sessionId } = await connect(gw, github, 'github');
      github.revokeAll();
      const failure = await gw.failure(ProfileDocument, { provider: 'github', sessionId });
      expect(failure).toMatchObject({ status: 401, code: 'REAUTH_REQUIRED', extensions: { provider: 'github', http: { status: 401 } } });
      expect(github.tokenRequests('refresh_token')).toHaveLength(0);
      expectSafe(failure, secretsOf(github));
      expect(await gw.failure(ProfileDocument, { provider: 'github', sessionId })).toMatchObject({
        status: 401,
        code: 'SESSION_NOT_FOUND',
      });
    });
  });
});

describe('RATE_LIMITED', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
    gw = await startTestGateway({ ...spotify.env(), START_AUTH_RATE_LIMIT: '2' });
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });

  it('refuses the third startAuth within a minute from one client with 429 and a retryAfter', async () => {
    await gw.request(StartAuthDocument, { provider: 'spotify' });
    await gw.request(StartAuthDocument, { provider: 'spotify' });
    const failure = await gw.failure(StartAuthDocument, { provider: 'spotify' });
    expect(failure).toMatchObject({ status: 429, code: 'RATE_LIMITED', extensions: { http: { status: 429 } } });
    expect(failure.extensions.retryAfter).toEqual(expect.any(Number));
    expect(failure.extensions.retryAfter as number).toBeGreaterThan(0);
    expect(failure.extensions.retryAfter as number).toBeLessThanOrEqual(60);
    expectSafe(failure, secretsOf(spotify));
    // Only startAuth is limited: reading the provider list still works.
    expect((await gw.request(ProvidersDocument, {})).providers.length).toBeGreaterThan(0);
  });
});

describe('STORE_UNAVAILABLE', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
    gw = await startTestGateway({ ...spotify.env(), REDIS_URL: 'redis://127.0.0.1:1', TOKEN_ENCRYPTION_KEY: testKey() });
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });

  it('answers startAuth with 503 STORE_UNAVAILABLE within a few seconds', async () => {
    const started = Date.now();
    const failure = await gw.failure(StartAuthDocument, { provider: 'spotify' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE', extensions: { http: { status: 503 } } });
    expectSafe(failure, [...secretsOf(spotify), '127.0.0.1:1', 'redis://']);
  });

  it('answers a session lookup with STORE_UNAVAILABLE, not SESSION_NOT_FOUND', async () => {
    const failure = await gw.failure(SessionDocument, { sessionId: 'A'.repeat(43) });
    expect(failure).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
  });

  it('reports not ready on /readyz but alive on /healthz, and keeps serving', async () => {
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    // Still up after the store failures above: requests that need no store are answered.
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.find((p) => p.id === 'spotify')?.configured).toBe(true);
  });
});

describe('INTERNAL_SERVER_ERROR', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  const broken: ProviderDefinition = {
    ...spotifyDefinition,
    id: 'broken',
    name: 'Broken',
    async fetchProfile() {
      throw new Error('boom at /secret/path/profile.ts');
    },
  };

  beforeAll(async () => {
    spotify = await startFakeSpotify();
    gw = await startTestGateway(
      {
        BROKEN_CLIENT_ID: spotify.clientId,
        BROKEN_CLIENT_SECRET: spotify.clientSecret,
        BROKEN_AUTHORIZATION_URL: `${spotify.url}/authorize`,
        BROKEN_TOKEN_URL: `${spotify.url}/api/token`,
        BROKEN_API_URL: `${spotify.url}/v1`,
      },
      { providers: [broken] },
    );
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });

  it('answers an unforeseen failure with 500 INTERNAL_SERVER_ERROR and no detail; the detail is logged', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'broken' });
    const callback = await spotify.authorize(startAuth.authorizationUrl);
    const code = callback.searchParams.get('code')!;
    const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'broken', code, state: startAuth.state });

    const failure = await gw.failure(ProfileDocument, { provider: 'broken', sessionId: completeAuth.sessionId });
    expect(failure).toMatchObject({ status: 500, code: 'INTERNAL_SERVER_ERROR', extensions: { http: { status: 500 } } });
    expect(failure.message).not.toMatch(/boom|secret|\/.*\//);
    expect(JSON.stringify(failure.extensions)).not.toMatch(/boom|secret\/path/);
    expectSafe(failure, [completeAuth.sessionId, code, ...secretsOf(spotify)]);
    // The operator finds the cause in the server log.
    expect(gw.logs.join('\n')).toContain('boom at /secret/path');
  });
});
