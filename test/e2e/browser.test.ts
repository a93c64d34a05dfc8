import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext, type Page, type Request } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { startLocalOidc } from './local-oidc.js';
import { pino } from 'pino';
import { DEMO_USER, type RunningOidcServer } from '../../src/demo/oidc-server.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { freePort, startTestGateway, type TestGateway } from '../integration/harness.js';

/*
 * The whole flow in a real browser: the example page served by the gateway, a real OpenID Provider
 * (oidc-provider with its own login and consent pages), and Debian's Chromium driven by
 * playwright-core. Nothing is mocked between the click on "Connect" and the profile on the page.
 */

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/e2e/', import.meta.url));

/** What the browser did on one page: the gateway calls it made, the callbacks it followed, what went wrong. */
interface Recorded {
  page: Page;
  /** Operation names of every POST /graphql the page sent, with their variables. */
  operations: Array<{ name: string; variables: Record<string, unknown> }>;
  /** Every request to the gateway's /callback/<provider> route. */
  callbacks: Request[];
  /** Uncaught exceptions and Content-Security-Policy violations on the example page. */
  problems: string[];
}

describe('the example page in Chromium', () => {
  let workDir: string;
  let context: BrowserContext;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await launchChromium(join(workDir, 'profile'));
  });

  afterAll(async () => {
    await context?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** A fresh tab on the page, with no provider cookies and no stored session left by another test. */
  async function openPage(url: string): Promise<Recorded> {
    await context.clearCookies();
    const page = await context.newPage();
    const recorded: Recorded = { page, operations: [], callbacks: [], problems: [] };
    const origin = new URL(url).origin;
    page.on('request', (request) => {
      const target = new URL(request.url());
      if (target.origin !== origin) return;
      if (target.pathname === '/graphql' && request.method() === 'POST') {
        const body = request.postDataJSON() as { query: string; variables?: Record<string, unknown> };
        recorded.operations.push({ name: /^\s*(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? '?', variables: body.variables ?? {} });
      }
      // Match the callback path itself: Chromium also asks the same host for /favicon.ico.
      if (target.pathname.startsWith('/callback/')) recorded.callbacks.push(request);
    });
    page.on('pageerror', (error) => recorded.problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.location().url.startsWith(origin) && /Content Security Policy/i.test(message.text()))
        recorded.problems.push(message.text());
    });
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    // The page must work under the strict policy the gateway serves it with.
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.evaluate('localStorage.clear()');
    await page.reload();
    return recorded;
  }

  /** The provider's own pages: oidc-provider's login form (any login and password), then its consent page. */
  async function signInAtProvider(page: Page, consent: 'grant' | 'deny'): Promise<void> {
    await page.locator('input[name="login"]').fill(DEMO_USER.preferred_username);
    await page.locator('input[name="password"]').fill('any password will do');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const grant = page.getByRole('button', { name: 'Continue' });
    await grant.waitFor();
    if (consent === 'grant') await grant.click();
    else await page.getByRole('link', { name: '[ Cancel ]' }).click();
  }

  /** The callback the provider sent the browser to, and where the gateway forwarded it. */
  async function forwardedCallback(recorded: Recorded, provider: string) {
    const request = recorded.callbacks.find((r) => new URL(r.url()).pathname === `/callback/${provider}`);
    expect(request).toBeDefined();
    const response = await request!.response();
    return { status: response?.status(), location: new URL(response?.headers().location ?? 'about:blank') };
  }

  // The page's script keeps its session id here (public/app.js). The test's TypeScript has no DOM types, hence the string.
  const storedSession = (page: Page) => page.evaluate<string | null>("localStorage.getItem('oauth-gateway.sessionId')");

  const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  describe('with an OpenID Provider from PROVIDERS_FILE', () => {
    let op: RunningOidcServer;
    /** Forwards the callback to the page (FRONTEND_CALLBACK_URL), which calls completeAuth. */
    let gw: TestGateway;
    /** Completes the flow itself and sends the page `session_id` (FRONTEND_SUCCESS_URL). */
    let successGw: TestGateway;

    beforeAll(async () => {
      const port = await freePort();
      let successPort = await freePort();
      while (successPort === port) successPort = await freePort();
      const urls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${successPort}`];
      const local = await startLocalOidc(workDir, urls);
      op = local.op;
      const env = local.env;
      [gw, successGw] = await Promise.all([
        startTestGateway({ ...env(urls[0]!), FRONTEND_CALLBACK_URL: `${urls[0]}/` }),
        startTestGateway({ ...env(urls[1]!), FRONTEND_SUCCESS_URL: `${urls[1]}/` }),
      ]);
    });

    afterAll(async () => {
      await Promise.all([gw?.close(), successGw?.close()]);
      await op?.close();
    });

    it('connects an account, shows its profile, disconnects it, ends the session and forgets the ended session on reload', async () => {
      const recorded = await openPage(`${gw.url}/`);
      const { page } = recorded;
      expect(await page.getByTestId('no-connections').textContent()).toBe('No connected accounts');

      await page.getByTestId('connect-local-oidc').click();
      await page.waitForURL((url) => url.href.startsWith(op.issuer));
      await signInAtProvider(page, 'grant');

      const profile = page.getByTestId('profile-local-oidc');
      await profile.waitFor();
      expect(await profile.textContent()).toContain(DEMO_USER.name);
      expect(await profile.textContent()).toContain(`${DEMO_USER.email} (${DEMO_USER.email_verified ? 'verified' : 'not verified'})`);
      expect(await profile.textContent()).toContain(DEMO_USER.sub);

      // The provider came back to the gateway, which forwarded code and state to the page untouched...
      const callback = await forwardedCallback(recorded, 'local-oidc');
      expect(callback.status).toBe(302);
      expect(callback.location.origin + callback.location.pathname).toBe(`${gw.url}/`);
      expect(callback.location.searchParams.get('provider')).toBe('local-oidc');
      expect(callback.location.searchParams.get('code')).toBeTruthy();
      // ...and the page completed the flow itself with completeAuth, then cleaned its address bar.
      const completed = recorded.operations.find((o) => o.name === 'CompleteAuth');
      expect(completed?.variables).toEqual({
        provider: 'local-oidc',
        code: callback.location.searchParams.get('code'),
        state: callback.location.searchParams.get('state'),
      });
      expect(page.url()).toBe(`${gw.url}/`);
      const sessionId = await storedSession(page);
      expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(await page.getByTestId('error').isHidden()).toBe(true);
      await screenshot(page, 'local-oidc-connected');

      await page.getByTestId('disconnect-local-oidc').click();
      await page.getByTestId('no-connections').waitFor();
      expect(await page.getByTestId('profile-local-oidc').count()).toBe(0);
      expect(recorded.operations.map((o) => o.name)).toContain('Disconnect');
      await screenshot(page, 'local-oidc-disconnected');

      await page.getByTestId('end-session').click();
      await page.getByTestId('end-session').waitFor({ state: 'hidden' });
      expect(recorded.operations.find((o) => o.name === 'EndSession')?.variables).toEqual({ sessionId });
      expect(await storedSession(page)).toBeNull();

      // A stored session the gateway no longer knows (ended, expired) is reported and forgotten on load.
      await page.evaluate(`localStorage.setItem('oauth-gateway.sessionId', ${JSON.stringify(sessionId)})`);
      await page.reload();
      await page.getByTestId('error').waitFor();
      expect(await page.getByTestId('error').textContent()).toContain('SESSION_NOT_FOUND');
      expect(await storedSession(page)).toBeNull();
      await page.getByTestId('no-connections').waitFor();
      expect(recorded.problems).toEqual([]);
      await page.close();
    });

    it('shows ACCESS_DENIED when the user cancels at the consent page', async () => {
      const recorded = await openPage(`${gw.url}/`);
      const { page } = recorded;
      await page.getByTestId('connect-local-oidc').click();
      await page.waitForURL((url) => url.href.startsWith(op.issuer));
      await signInAtProvider(page, 'deny');

      const error = page.getByTestId('error');
      await error.waitFor();
      expect(await error.textContent()).toContain('ACCESS_DENIED');
      const callback = await forwardedCallback(recorded, 'local-oidc');
      expect(callback.location.searchParams.get('error')).toBe('ACCESS_DENIED');
      expect(recorded.operations.map((o) => o.name)).not.toContain('CompleteAuth');
      expect(page.url()).toBe(`${gw.url}/`);
      await page.getByTestId('no-connections').waitFor();
      expect(await storedSession(page)).toBeNull();
      expect(recorded.problems).toEqual([]);
      await screenshot(page, 'local-oidc-access-denied');
      await page.close();
    });

    it('stores the session the gateway completed itself in success mode', async () => {
      const recorded = await openPage(`${successGw.url}/`);
      const { page } = recorded;
      await page.getByTestId('connect-local-oidc').click();
      await signInAtProvider(page, 'grant');

      await page.getByTestId('profile-local-oidc').waitFor();
      expect(await page.getByTestId('profile-local-oidc').textContent()).toContain(DEMO_USER.email);
      const callback = await forwardedCallback(recorded, 'local-oidc');
      expect(callback.location.searchParams.get('code')).toBeNull();
      expect(await storedSession(page)).toBe(callback.location.searchParams.get('session_id'));
      expect(recorded.operations.map((o) => o.name)).not.toContain('CompleteAuth');
      expect(page.url()).toBe(`${successGw.url}/`);
      expect(recorded.problems).toEqual([]);
      await page.close();
    });
  });

  describe('with no provider configured at all (the built-in demo)', () => {
    let gw: Gateway;

    beforeAll(async () => {
      // Only where to listen: no provider variable, no FRONTEND_CALLBACK_URL, not production. (The test
      // harness turns the demo off for the other suites, so this starts the gateway itself.)
      const port = await freePort();
      gw = await startGateway({
        env: { HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
        logger: pino({ level: 'silent' }),
      });
    });

    afterAll(async () => {
      await gw?.close();
    });

    it('lists the demo provider and connects its fake account', async () => {
      const recorded = await openPage(`${gw.url}/`);
      const { page } = recorded;
      const connect = page.getByTestId('connect-demo');
      await connect.waitFor();
      expect(await page.locator('#providers li', { has: connect }).textContent()).toContain('built-in demo');

      await connect.click();
      await signInAtProvider(page, 'grant');

      const profile = page.getByTestId('profile-demo');
      await profile.waitFor();
      expect(await profile.textContent()).toContain(DEMO_USER.name);
      expect(await profile.textContent()).toContain(DEMO_USER.email);
      const callback = await forwardedCallback(recorded, 'demo');
      expect(callback.location.origin + callback.location.pathname).toBe(`${gw.url}/`);
      expect(recorded.operations.map((o) => o.name)).toContain('CompleteAuth');
      expect(page.url()).toBe(`${gw.url}/`);

      // The connection calls the provider's API through the gateway: the demo's UserInfo.
      await page.getByTestId('api-call-demo').click();
      const answer = page.getByTestId('api-answer-demo');
      await answer.waitFor();
      expect(await answer.textContent()).toContain('HTTP 200');
      expect(await answer.textContent()).toContain(DEMO_USER.sub);
      expect(recorded.operations.map((o) => o.name)).toContain('ProviderRequest');
      expect(recorded.problems).toEqual([]);
      await screenshot(page, 'demo-connected');
      await page.close();
    });
  });
});
