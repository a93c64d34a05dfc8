import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CompleteAuthDocument, ProfileDocument, StartAuthDocument } from '../generated/graphql.js';
import { startFakeGithub, startFakeGoogle, startFakeSpotify, type FakeGithub, type FakeGoogle, type FakeSpotify } from '../fakes/index.js';
import { authorizeAt, startTestGateway, type TestClient, type TestGateway } from './harness.js';

interface Landing {
  status: number;
  contentType: string;
  /** The redirect target, for a 302. */
  location?: URL;
  body?: Record<string, unknown>;
}

/** GET on the gateway's callback route, as `browser` does after the provider's redirect (redirects not followed). */
async function land(browser: TestClient, url: URL | string): Promise<Landing> {
  const response = await browser.fetch(url);
  const location = response.headers.get('location');
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return {
    status: response.status,
    contentType,
    location: location ? new URL(location) : undefined,
    body: contentType.includes('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** The REST error shape: `{ error, message }` (plus the provider where it applies), no stack, nothing secret. */
function expectErrorBody(landing: Landing, status: number, code: string, secrets: string[] = []): void {
  expect(landing.status).toBe(status);
  expect(landing.contentType).toMatch(/^application\/json/);
  expect(landing.body).toMatchObject({ error: code, message: expect.any(String) });
  expect(Object.keys(landing.body!).every((key) => ['error', 'message', 'provider'].includes(key))).toBe(true);
  const text = JSON.stringify(landing.body);
  expect(text).not.toMatch(/stack|\n\s+at |\.ts:\d+/);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** A copy of `url` with its query changed. */
function withQuery(url: URL, change: (params: URLSearchParams) => void): URL {
  const copy = new URL(url);
  change(copy.searchParams);
  return copy;
}

const target = (url: URL) => `${url.origin}${url.pathname}`;

describe('GET /callback/:provider', () => {
  let spotify: FakeSpotify;
  let github: FakeGithub;
  let google: FakeGoogle;

  beforeAll(async () => {
    [spotify, github, google] = await Promise.all([startFakeSpotify(), startFakeGithub(), startFakeGoogle()]);
  });
  afterAll(async () => {
    await Promise.all([spotify.close(), github.close(), google.close()]);
  });

  describe('with no frontend URL configured: completes the flow and answers JSON', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env(), ...google.env() });
    });
    afterAll(() => gw.close());

    it('answers 200 with the new session, whose id reads the profile', async () => {
      const { callback } = await authorizeAt(gw, spotify, 'spotify');
      expect(target(callback)).toBe(`${gw.url}/callback/spotify`);
      const exchanges = spotify.tokenRequests().length;
      const landing = await land(gw, callback);
      expect(landing.status).toBe(200);
      expect(landing.contentType).toMatch(/^application\/json/);
      expect(landing.body).toMatchObject({
        sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        provider: 'spotify',
        scopes: ['user-read-email', 'user-read-private'],
        sessionExpiresAt: expect.any(String),
      });
      expect(Date.parse(landing.body!.sessionExpiresAt as string)).toBeGreaterThan(Date.now());
      expect(spotify.tokenRequests()).toHaveLength(exchanges + 1);

      const sessionId = landing.body!.sessionId as string;
      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId });
      expect(profile).toMatchObject({ provider: 'spotify', id: 'smedjan', displayName: 'Ada Lovelace' });
      // The provider's tokens stay on the server.
      const accessToken = spotify.requests
        .filter((r) => r.path === '/v1/me')
        .at(-1)!
        .headers.authorization!.replace(/^Bearer /, '');
      expect(JSON.stringify(landing.body)).not.toContain(accessToken);
      expect(Object.keys(landing.body!).filter((key) => /token$/i.test(key))).toEqual([]);
    });

    it('refuses a replayed callback with 400 INVALID_STATE, without a second exchange, and the first session still works', async () => {
      const { callback, code, state } = await authorizeAt(gw, spotify, 'spotify');
      const first = await land(gw, callback);
      expect(first.status).toBe(200);
      const exchanges = spotify.tokenRequests().length;

      const replay = await land(gw, callback);
      expectErrorBody(replay, 400, 'INVALID_STATE', [code, state, spotify.clientSecret]);
      expect(spotify.tokenRequests()).toHaveLength(exchanges);
      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId: first.body!.sessionId as string });
      expect(profile.id).toBe('smedjan');
    });

    it("accepts a GitHub callback whose iss is GitHub's issuer", async () => {
      const { callback } = await authorizeAt(gw, github, 'github');
      expect(callback.searchParams.get('iss')).toBe(`${github.url}/login/oauth`);
      const landing = await land(gw, callback);
      expect(landing.status).toBe(200);
      expect(landing.body).toMatchObject({ provider: 'github', sessionId: expect.any(String) });
    });

    it('accepts a GitHub callback without iss', async () => {
      const { callback } = await authorizeAt(gw, github, 'github');
      const landing = await land(
        gw,
        withQuery(callback, (q) => q.delete('iss')),
      );
      expect(landing.status).toBe(200);
      expect(landing.body).toMatchObject({ provider: 'github' });
    });

    it('refuses a GitHub callback whose iss names another server (mix-up), never exchanges its code, and burns the state', async () => {
      const { callback, code, state } = await authorizeAt(gw, github, 'github');
      const exchanges = github.tokenRequests().length;
      const landing = await land(
        gw,
        withQuery(callback, (q) => q.set('iss', 'https://evil.example/login/oauth')),
      );
      expectErrorBody(landing, 400, 'INVALID_STATE', [code, state, github.clientSecret]);
      expect(github.tokenRequests()).toHaveLength(exchanges);

      const genuine = await land(gw, callback);
      expectErrorBody(genuine, 400, 'INVALID_STATE', [code, state]);
      expect(github.tokenRequests()).toHaveLength(exchanges);
    });

    it("accepts a Google callback whose iss is Google's issuer, and refuses another iss", async () => {
      const good = await authorizeAt(gw, google, 'google');
      expect(good.callback.searchParams.get('iss')).toBe(google.url);
      const landing = await land(gw, good.callback);
      expect(landing.status).toBe(200);
      const { profile } = await gw.request(ProfileDocument, { provider: 'google', sessionId: landing.body!.sessionId as string });
      expect(profile.email).toBe('ada.lovelace@gmail.com');

      const bad = await authorizeAt(gw, google, 'google');
      const exchanges = google.tokenRequests().length;
      const refused = await land(
        gw,
        withQuery(bad.callback, (q) => q.set('iss', 'https://accounts.evil.example')),
      );
      expectErrorBody(refused, 400, 'INVALID_STATE', [bad.code, bad.state, google.clientSecret]);
      expect(google.tokenRequests()).toHaveLength(exchanges);
    });

    it('refuses a Google callback without iss, since Google advertises the parameter (RFC 9207)', async () => {
      const { callback, code, state } = await authorizeAt(gw, google, 'google');
      const exchanges = google.tokenRequests().length;
      expectErrorBody(
        await land(
          gw,
          withQuery(callback, (q) => q.delete('iss')),
        ),
        400,
        'INVALID_STATE',
        [code, state],
      );
      expectErrorBody(await land(gw, callback), 400, 'INVALID_STATE', [code, state]);
      expect(google.tokenRequests()).toHaveLength(exchanges);
    });

    it('answers a denied consent with 400 ACCESS_DENIED, and the state cannot be used afterwards', async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'spotify' });
      const callback = await spotify.authorize(startAuth.authorizationUrl, { deny: true });
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const exchanges = spotify.tokenRequests().length;

      const landing = await land(gw, callback);
      expectErrorBody(landing, 400, 'ACCESS_DENIED', [startAuth.state]);
      expect(landing.body!.message).not.toContain('The user denied the request');

      const later = await gw.failure(CompleteAuthDocument, {
        provider: 'spotify',
        code: 'AQ-a-code-from-elsewhere',
        state: startAuth.state,
      });
      expect(later).toMatchObject({ status: 400, code: 'INVALID_STATE' });
      expect(spotify.tokenRequests()).toHaveLength(exchanges);
    });

    it("answers the provider's server_error on the callback with 503 PROVIDER_UNAVAILABLE", async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'spotify' });
      const callback = new URL(`${gw.url}/callback/spotify`);
      callback.searchParams.set('error', 'server_error');
      callback.searchParams.set('state', startAuth.state);
      expectErrorBody(await land(gw, callback), 503, 'PROVIDER_UNAVAILABLE', [startAuth.state]);
    });

    it('refuses a state started for GitHub at /callback/spotify, and the state is then burned for GitHub too', async () => {
      const { callback, code, state } = await authorizeAt(gw, github, 'github');
      const exchanges = { github: github.tokenRequests().length, spotify: spotify.tokenRequests().length };
      const elsewhere = new URL(callback);
      elsewhere.pathname = '/callback/spotify';
      expectErrorBody(await land(gw, elsewhere), 400, 'INVALID_STATE', [code, state]);

      expectErrorBody(await land(gw, callback), 400, 'INVALID_STATE', [code, state]);
      expect({ github: github.tokenRequests().length, spotify: spotify.tokenRequests().length }).toEqual(exchanges);
    });

    it('answers 400 BAD_USER_INPUT when code or state is missing', async () => {
      const { callback, code, state } = await authorizeAt(gw, spotify, 'spotify');
      expectErrorBody(
        await land(
          gw,
          withQuery(callback, (q) => q.delete('code')),
        ),
        400,
        'BAD_USER_INPUT',
        [state],
      );
      expectErrorBody(
        await land(
          gw,
          withQuery(callback, (q) => q.delete('state')),
        ),
        400,
        'BAD_USER_INPUT',
        [code],
      );
      expectErrorBody(await land(gw, `${gw.url}/callback/spotify`), 400, 'BAD_USER_INPUT');
      // Nothing was consumed: the untouched callback still completes.
      expect((await land(gw, callback)).status).toBe(200);
    });

    it('answers 400 UNKNOWN_PROVIDER for a provider the gateway does not know', async () => {
      const { code, state } = await authorizeAt(gw, spotify, 'spotify');
      const query = new URLSearchParams({ code, state }).toString();
      expectErrorBody(await land(gw, `${gw.url}/callback/myspace?${query}`), 400, 'UNKNOWN_PROVIDER', [code, state]);
      expectErrorBody(await land(gw, `${gw.url}/callback/Not%20A%20Provider?${query}`), 400, 'UNKNOWN_PROVIDER', [code, state]);
    });

    it('ignores redirect instructions in the callback query: the answer is JSON, never a redirect', async () => {
      const { callback } = await authorizeAt(gw, spotify, 'spotify');
      const landing = await land(
        gw,
        withQuery(callback, (q) => {
          q.set('redirect_uri', 'https://evil.example/steal');
          q.set('next', 'https://evil.example/next');
        }),
      );
      expect(landing.status).toBe(200);
      expect(landing.location).toBeUndefined();
      expect(landing.body).toMatchObject({ provider: 'spotify' });
    });
  });

  describe('with FRONTEND_SUCCESS_URL: completes the flow and redirects with the session id', () => {
    const successUrl = 'https://app.example.test/settings/connected?tab=accounts';
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env(), FRONTEND_SUCCESS_URL: successUrl });
    });
    afterAll(() => gw.close());

    it('redirects to the configured URL with session_id, provider and state, keeping its own query', async () => {
      const { callback, code, state } = await authorizeAt(gw, spotify, 'spotify');
      const exchanges = spotify.tokenRequests().length;
      const landing = await land(gw, callback);
      expect(landing.status).toBe(302);
      const location = landing.location!;
      expect(target(location)).toBe('https://app.example.test/settings/connected');
      expect(location.searchParams.get('tab')).toBe('accounts');
      expect(location.searchParams.get('provider')).toBe('spotify');
      expect(location.searchParams.get('session_id')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(location.searchParams.has('error')).toBe(false);
      expect(location.toString()).not.toContain(code);
      // The state goes along, so the frontend can refuse a result for a flow it did not start.
      expect(location.searchParams.get('state')).toBe(state);
      expect(spotify.tokenRequests()).toHaveLength(exchanges + 1);

      const { profile } = await gw.request(ProfileDocument, { provider: 'spotify', sessionId: location.searchParams.get('session_id')! });
      expect(profile.id).toBe('smedjan');
    });

    it('redirects a replayed callback with error=INVALID_STATE and no session', async () => {
      const { callback } = await authorizeAt(gw, spotify, 'spotify');
      expect((await land(gw, callback)).status).toBe(302);
      const replay = await land(gw, callback);
      expect(replay.status).toBe(302);
      expect(target(replay.location!)).toBe('https://app.example.test/settings/connected');
      expect(replay.location!.searchParams.get('tab')).toBe('accounts');
      expect(replay.location!.searchParams.get('error')).toBe('INVALID_STATE');
      expect(replay.location!.searchParams.has('session_id')).toBe(false);
    });

    it('redirects a denied consent with error=ACCESS_DENIED', async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'spotify' });
      const callback = await spotify.authorize(startAuth.authorizationUrl, { deny: true });
      const landing = await land(gw, callback);
      expect(landing.status).toBe(302);
      expect(target(landing.location!)).toBe('https://app.example.test/settings/connected');
      expect(landing.location!.searchParams.get('error')).toBe('ACCESS_DENIED');
      expect(landing.location!.searchParams.has('session_id')).toBe(false);
    });

    it("reflects into the frontend URL only a state and a provider id of the gateway's own shape (SEC-17)", async () => {
      const unknown = await land(gw, `${gw.url}/callback/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E?code=x&state=b`);
      expect(unknown.location!.searchParams.get('error')).toBe('UNKNOWN_PROVIDER');
      expect(unknown.location!.searchParams.has('provider')).toBe(false);
      expect(unknown.location!.searchParams.has('state')).toBe(false);
      const scripted = await land(gw, `${gw.url}/callback/spotify?error=access_denied&state=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
      expect(scripted.location!.searchParams.get('error')).toBe('ACCESS_DENIED');
      expect(scripted.location!.searchParams.get('provider')).toBe('spotify');
      expect(scripted.location!.searchParams.has('state')).toBe(false);
      expect(scripted.location!.toString()).not.toContain('script');
    });

    it('never redirects anywhere but the configured URL, whatever the callback query says', async () => {
      const hostile = (q: URLSearchParams) => {
        q.set('redirect_uri', 'https://evil.example/steal');
        q.set('next', 'https://evil.example/next');
        q.set('return_to', '//evil.example');
      };
      const { callback } = await authorizeAt(gw, spotify, 'spotify');
      const success = await land(gw, withQuery(callback, hostile));
      const failure = await land(gw, withQuery(callback, hostile)); // replayed: the error path
      const unknown = await land(gw, withQuery(new URL(`${gw.url}/callback/%2F%2Fevil.example`), hostile));
      for (const landing of [success, failure, unknown]) {
        expect(landing.status).toBe(302);
        expect(target(landing.location!)).toBe('https://app.example.test/settings/connected');
        expect(landing.location!.toString()).not.toContain('evil.example/');
        for (const name of ['redirect_uri', 'next', 'return_to']) expect(landing.location!.searchParams.has(name)).toBe(false);
      }
      expect(success.location!.searchParams.get('session_id')).toEqual(expect.any(String));
      expect(failure.location!.searchParams.get('error')).toBe('INVALID_STATE');
      expect(unknown.location!.searchParams.get('error')).toBe('UNKNOWN_PROVIDER');
    });
  });

  describe('with FRONTEND_CALLBACK_URL: forwards code and state to the frontend', () => {
    const frontendUrl = 'https://app.example.test/oauth/callback?from=gateway';
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env(), FRONTEND_CALLBACK_URL: frontendUrl });
    });
    afterAll(() => gw.close());

    it('redirects with provider, code and state, exchanges nothing, and completeAuth then works', async () => {
      const { callback, code, state } = await authorizeAt(gw, spotify, 'spotify');
      const exchanges = spotify.tokenRequests().length;
      const landing = await land(gw, callback);
      expect(landing.status).toBe(302);
      const location = landing.location!;
      expect(target(location)).toBe('https://app.example.test/oauth/callback');
      expect(Object.fromEntries(location.searchParams)).toEqual({ from: 'gateway', provider: 'spotify', code, state });
      expect(spotify.tokenRequests()).toHaveLength(exchanges);

      const { completeAuth } = await gw.request(CompleteAuthDocument, {
        provider: location.searchParams.get('provider')!,
        code: location.searchParams.get('code')!,
        state: location.searchParams.get('state')!,
      });
      expect(completeAuth.provider).toBe('spotify');
      expect(spotify.tokenRequests()).toHaveLength(exchanges + 1);
    });

    it("forwards error=INVALID_STATE instead of the code when GitHub's iss is wrong, and burns the state", async () => {
      const { callback, code, state } = await authorizeAt(gw, github, 'github');
      const exchanges = github.tokenRequests().length;
      const landing = await land(
        gw,
        withQuery(callback, (q) => q.set('iss', 'https://evil.example/login/oauth')),
      );
      expect(landing.status).toBe(302);
      expect(target(landing.location!)).toBe('https://app.example.test/oauth/callback');
      expect(landing.location!.searchParams.get('error')).toBe('INVALID_STATE');
      expect(landing.location!.searchParams.get('provider')).toBe('github');
      expect(landing.location!.searchParams.has('code')).toBe(false);
      expect(landing.location!.toString()).not.toContain(code);

      const failure = await gw.failure(CompleteAuthDocument, { provider: 'github', code, state });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_STATE', extensions: { provider: 'github' } });
      expect(github.tokenRequests()).toHaveLength(exchanges);
    });

    it('forwards a GitHub callback with the right iss', async () => {
      const { callback, code, state } = await authorizeAt(gw, github, 'github');
      const landing = await land(gw, callback);
      expect(landing.status).toBe(302);
      expect(landing.location!.searchParams.get('code')).toBe(code);
      expect(landing.location!.searchParams.get('state')).toBe(state);
      expect(landing.location!.searchParams.has('error')).toBe(false);
    });

    it('forwards a denied consent as error=ACCESS_DENIED, and the state cannot be used afterwards', async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'spotify' });
      const callback = await spotify.authorize(startAuth.authorizationUrl, { deny: true });
      const landing = await land(gw, callback);
      expect(landing.status).toBe(302);
      expect(target(landing.location!)).toBe('https://app.example.test/oauth/callback');
      expect(landing.location!.searchParams.get('error')).toBe('ACCESS_DENIED');
      expect(landing.location!.searchParams.has('code')).toBe(false);

      const later = await gw.failure(CompleteAuthDocument, {
        provider: 'spotify',
        code: 'AQ-a-code-from-elsewhere',
        state: startAuth.state,
      });
      expect(later).toMatchObject({ status: 400, code: 'INVALID_STATE' });
    });

    it('forwards error=BAD_USER_INPUT when code is missing', async () => {
      const landing = await land(gw, `${gw.url}/callback/spotify?state=${'S'.repeat(43)}`);
      expect(landing.status).toBe(302);
      expect(target(landing.location!)).toBe('https://app.example.test/oauth/callback');
      expect(landing.location!.searchParams.get('error')).toBe('BAD_USER_INPUT');
    });

    it('forwards only provider, code and state: redirect instructions in the query are dropped', async () => {
      const { callback, code, state } = await authorizeAt(gw, spotify, 'spotify');
      const landing = await land(
        gw,
        withQuery(callback, (q) => {
          q.set('redirect_uri', 'https://evil.example/steal');
          q.set('next', 'https://evil.example/next');
        }),
      );
      expect(landing.status).toBe(302);
      expect(target(landing.location!)).toBe('https://app.example.test/oauth/callback');
      expect(Object.fromEntries(landing.location!.searchParams)).toEqual({ from: 'gateway', provider: 'spotify', code, state });

      const unknown = await land(gw, `${gw.url}/callback/%2F%2Fevil.example?code=x&state=y`);
      expect(unknown.status).toBe(302);
      expect(target(unknown.location!)).toBe('https://app.example.test/oauth/callback');
      expect(unknown.location!.searchParams.get('error')).toBe('UNKNOWN_PROVIDER');
    });
  });
});
