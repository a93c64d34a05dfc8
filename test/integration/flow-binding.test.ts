import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, startFakeSpotify, type FakeGithub, type FakeSpotify } from '../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument, SessionDocument, StartAuthDocument } from '../generated/graphql.js';
import {
  authorizeAt,
  connect,
  CookieJar,
  redisAvailable,
  redisEnv,
  redisKeys,
  startTestGateway,
  type TestClient,
  type TestGateway,
} from './harness.js';

const COOKIE = 'gateway_flow';

/**
 * RFC 6749 §10.12 / RFC 9700 §4.7.1: a flow is finished only by the browser that started it. The
 * attacker and the victim are two browsers (two cookie jars); the attacks are those of the security
 * review: a callback URL of the attacker's own login opened by the victim (login CSRF), and a linking
 * URL of the attacker's session opened by the victim (account harvesting).
 */
describe('flow binding: only the browser that started a flow can finish it', () => {
  let spotify: FakeSpotify;
  let github: FakeGithub;

  beforeAll(async () => {
    [spotify, github] = await Promise.all([startFakeSpotify(), startFakeGithub()]);
  });
  afterAll(async () => {
    await Promise.all([spotify.close(), github.close()]);
  });

  const exchanges = () => spotify.tokenRequests('authorization_code').length;

  describe('mode 3: the callback completes and answers JSON', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env() });
    });
    afterAll(() => gw.close());

    it('startAuth sets an HttpOnly, SameSite=Lax binding cookie for the whole site, reused by the next flows', async () => {
      const browser = gw.browser();
      const response = await browser.fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { startAuth(provider: "spotify") { state } }' }),
      });
      const [cookie] = response.headers.getSetCookie();
      expect(cookie).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; `));
      expect(cookie).toContain('; Path=/');
      expect(cookie).toContain('; HttpOnly');
      expect(cookie).toContain('; SameSite=Lax');
      expect(cookie).toMatch(/; Max-Age=600(;|$)/);
      expect(cookie).not.toContain('Secure'); // PUBLIC_URL is http here
      const first = browser.jar.get(COOKIE);
      await browser.request(StartAuthDocument, { provider: 'github' });
      expect(browser.jar.get(COOKIE)).toBe(first);
      // The state is not the binding: the cookie's value appears in no answer.
      expect(await response.text()).not.toContain(first!);
    });

    it('a startAuth that is refused starts no flow and sets no binding cookie', async () => {
      const refused = [
        'mutation { startAuth(provider: "myspace") { state } }',
        'mutation { startAuth(provider: "spotify", options: { sessionId: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }) { state } }',
      ];
      for (const query of refused) {
        const browser = gw.browser();
        const response = await browser.fetch(`${gw.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        const body = (await response.json()) as { data: unknown; errors?: Array<{ extensions: { code: string } }> };
        expect(body.data).toBeNull();
        expect(['UNKNOWN_PROVIDER', 'SESSION_NOT_FOUND']).toContain(body.errors?.[0]?.extensions.code);
        expect(response.headers.getSetCookie()).toEqual([]);
        expect(browser.jar.get(COOKIE)).toBeUndefined();
      }
    });

    it("a victim who opens the attacker's callback URL gets nothing, nothing is exchanged, and the attacker's own flow still completes", async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      const { callback } = await authorizeAt(attacker, spotify, 'spotify');
      const before = exchanges();

      const opened = await victim.fetch(callback);
      expect(opened.status).toBe(400);
      expect(await opened.json()).toMatchObject({ error: 'INVALID_STATE' });
      expect(exchanges()).toBe(before);

      // A browser with no binding cookie at all is refused the same way.
      const bare = await fetch(callback, { redirect: 'manual' });
      expect(bare.status).toBe(400);
      expect(exchanges()).toBe(before);

      const own = await attacker.fetch(callback);
      expect(own.status).toBe(200);
      expect(await own.json()).toMatchObject({ provider: 'spotify', sessionId: expect.any(String) });
      expect(exchanges()).toBe(before + 1);
    });

    it('a linking URL opened in another browser attaches nothing to the session', async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      const own = await connect(attacker, github, 'github');
      const { startAuth } = await attacker.request(StartAuthDocument, { provider: 'spotify', options: { sessionId: own.sessionId } });
      const before = exchanges();

      // The victim follows the link, and the provider sends the victim's browser straight back.
      const callback = await spotify.authorize(startAuth.authorizationUrl);
      const landing = await victim.fetch(callback);
      expect(landing.status).toBe(400);
      expect(await landing.json()).toMatchObject({ error: 'INVALID_STATE' });
      expect(exchanges()).toBe(before);
      const { session } = await attacker.request(SessionDocument, { sessionId: own.sessionId });
      expect(session.connections.map((c) => c.provider)).toEqual(['github']);
      const unread = await attacker.failure(ProfileDocument, { provider: 'spotify', sessionId: own.sessionId });
      expect(unread.code).toBe('SESSION_NOT_FOUND');
    });

    it('flows pending at once in one browser (two tabs, two providers) all complete, in any order', async () => {
      const browser = gw.browser();
      const one = await authorizeAt(browser, spotify, 'spotify');
      const [two, three] = await Promise.all([authorizeAt(browser, spotify, 'spotify'), authorizeAt(browser, github, 'github')]);
      for (const { callback } of [two, one, three]) {
        const landing = await browser.fetch(callback);
        expect(landing.status).toBe(200);
      }
    });
  });

  describe('mode 2: the callback completes and redirects to FRONTEND_SUCCESS_URL', () => {
    const successUrl = 'https://app.example.test/connected';
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env(), FRONTEND_SUCCESS_URL: successUrl });
    });
    afterAll(() => gw.close());

    it("a victim who opens the attacker's callback URL is sent to the frontend with error=INVALID_STATE and no session", async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      const { callback, state } = await authorizeAt(attacker, spotify, 'spotify');
      const before = exchanges();
      const opened = await victim.fetch(callback);
      expect(opened.status).toBe(302);
      const location = new URL(opened.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('INVALID_STATE');
      expect(location.searchParams.get('state')).toBe(state);
      expect(location.searchParams.has('session_id')).toBe(false);
      expect(exchanges()).toBe(before);

      const own = await attacker.fetch(callback);
      const done = new URL(own.headers.get('location')!);
      expect(done.searchParams.get('session_id')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(done.searchParams.get('state')).toBe(state);
    });

    it('a linking URL opened in another browser attaches nothing to the session', async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      const own = await connect(attacker, github, 'github');
      const { startAuth } = await attacker.request(StartAuthDocument, { provider: 'spotify', options: { sessionId: own.sessionId } });
      const before = exchanges();
      const landing = await victim.fetch(await spotify.authorize(startAuth.authorizationUrl));
      expect(new URL(landing.headers.get('location')!).searchParams.get('error')).toBe('INVALID_STATE');
      expect(exchanges()).toBe(before);
      const { session } = await attacker.request(SessionDocument, { sessionId: own.sessionId });
      expect(session.connections.map((c) => c.provider)).toEqual(['github']);
    });
  });

  describe('mode 1: the callback forwards code and state to the frontend, which calls completeAuth', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ ...spotify.env(), ...github.env(), FRONTEND_CALLBACK_URL: 'https://app.example.test/return' });
    });
    afterAll(() => gw.close());

    /** What the victim's frontend does with the forwarded URL: completeAuth from the victim's browser. */
    const completeFrom = (browser: TestClient, callback: URL) =>
      browser.failure(CompleteAuthDocument, {
        provider: 'spotify',
        code: callback.searchParams.get('code')!,
        state: callback.searchParams.get('state')!,
      });

    it("completeAuth from the victim's browser is INVALID_STATE, exchanges nothing, and the attacker's flow is not broken", async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      await victim.request(StartAuthDocument, { provider: 'github' }); // the victim has used the app: it has a cookie
      const { callback, code, state } = await authorizeAt(attacker, spotify, 'spotify');
      const before = exchanges();
      const refused = await completeFrom(victim, callback);
      expect(refused).toMatchObject({ status: 400, code: 'INVALID_STATE' });
      expect(refused.message).toMatch(/another browser/);
      const bare = await completeFrom(gw.browser(), callback);
      expect(bare).toMatchObject({ status: 400, code: 'INVALID_STATE' });
      expect(bare.message).toMatch(/credentials/);
      expect(exchanges()).toBe(before);

      const { completeAuth } = await attacker.request(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(completeAuth.provider).toBe('spotify');
      expect(exchanges()).toBe(before + 1);
    });

    it('a linking URL completed from another browser does not return or fill the linked session', async () => {
      const attacker = gw.browser();
      const victim = gw.browser();
      const own = await connect(attacker, github, 'github');
      const { startAuth } = await attacker.request(StartAuthDocument, { provider: 'spotify', options: { sessionId: own.sessionId } });
      const callback = await spotify.authorize(startAuth.authorizationUrl);
      const before = exchanges();
      const refused = await completeFrom(victim, callback);
      expect(refused.code).toBe('INVALID_STATE');
      expect(JSON.stringify(refused)).not.toContain(own.sessionId);
      expect(exchanges()).toBe(before);
      const { session } = await attacker.request(SessionDocument, { sessionId: own.sessionId });
      expect(session.connections.map((c) => c.provider)).toEqual(['github']);
    });

    it("a wrong-issuer or error= answer from another browser does not use up the right browser's state", async () => {
      const owner = gw.browser();
      const stranger = gw.browser();
      const { callback, code, state } = await authorizeAt(owner, github, 'github');
      const forged = new URL(callback);
      forged.searchParams.set('iss', 'https://evil.example/login/oauth');
      await stranger.fetch(forged);
      await stranger.fetch(`${gw.url}/callback/github?error=access_denied&state=${state}`);
      const { completeAuth } = await owner.request(CompleteAuthDocument, { provider: 'github', code, state });
      expect(completeAuth.provider).toBe('github');
    });
  });

  describe('with COOKIE_SAMESITE=none and an https PUBLIC_URL', () => {
    it('the cookie is SameSite=None; Secure', async () => {
      const gw = await startTestGateway({ ...spotify.env(), COOKIE_SAMESITE: 'none', PUBLIC_URL: 'https://gateway.example.test' });
      try {
        const response = await gw.fetch(`${gw.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation { startAuth(provider: "spotify") { state } }' }),
        });
        const [cookie] = response.headers.getSetCookie();
        expect(cookie).toContain('; SameSite=None');
        expect(cookie).toContain('; Secure');
      } finally {
        await gw.close();
      }
    });
  });

  describe('across two replicas on Redis', () => {
    let enabled = true;
    let a: TestGateway;
    let b: TestGateway;
    let namespace: string;
    beforeAll(async () => {
      enabled = await redisAvailable();
      if (!enabled) return;
      const env = redisEnv();
      namespace = env.STORE_NAMESPACE!;
      const shared = { ...env, ...spotify.env(), PUBLIC_URL: 'http://127.0.0.1:4998' };
      const jar = new CookieJar();
      [a, b] = await Promise.all([startTestGateway(shared, { jar }), startTestGateway(shared, { jar })]);
    });
    afterAll(async () => {
      if (!enabled) return;
      await Promise.all([a.close(), b.close()]);
      await redisKeys(namespace, true);
    });

    it('the browser that started on replica A completes on replica B; another browser cannot', async () => {
      if (!enabled) return;
      const { code, state } = await authorizeAt(a, spotify, 'spotify');
      const before = exchanges();
      const stranger = b.browser();
      const refused = await stranger.failure(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(refused.code).toBe('INVALID_STATE');
      expect(exchanges()).toBe(before);
      const { completeAuth } = await b.request(CompleteAuthDocument, { provider: 'spotify', code, state });
      expect(completeAuth.provider).toBe('spotify');
      // The store holds the hash of the binding, never the handle itself.
      const handle = a.jar.get(COOKIE)!;
      const rows = await redisKeys(namespace);
      expect(rows.some((r) => r.key.includes(handle) || r.value?.includes(handle))).toBe(false);
    });
  });
});
