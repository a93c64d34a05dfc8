import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { startLocalOidc } from './local-oidc.js';
import { DEMO_USER, type RunningOidcServer } from '../../src/demo/oidc-server.js';
import { CompleteAuthDocument, StartAuthDocument } from '../generated/graphql.js';
import { freePort, startTestGateway, type TestGateway } from '../integration/harness.js';
import { oidcUser } from '../oidc/interaction.js';

/*
 * The security review's attacks on the example page, with two real browsers (two isolated Chromium
 * profiles): the attacker's callback URL opened by the victim (login CSRF), and a `?session_id=` link
 * (session fixation). Both are refused and shown as an error; the victim's session is untouched. The
 * normal flow still works, also for a frontend on another origin of the same site.
 */

const PUBLIC = fileURLToPath(new URL('../../public/', import.meta.url));
const SESSION = "localStorage.getItem('oauth-gateway.sessionId')";

describe('flow binding in Chromium: two browsers', () => {
  let workDir: string;
  let victim: BrowserContext;
  let attacker: BrowserContext;
  let op: RunningOidcServer;
  let gw: TestGateway;
  let frontend: Server;
  let frontendUrl: string;
  let crossSiteGw: TestGateway;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'gateway-e2e-binding-'));
    [victim, attacker] = await Promise.all([launchChromium(join(workDir, 'victim')), launchChromium(join(workDir, 'attacker'))]);

    const [port, otherPort, frontendPort] = [await freePort(), await freePort(), await freePort()];
    const urls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${otherPort}`];
    frontendUrl = `http://127.0.0.1:${frontendPort}`;
    const local = await startLocalOidc(workDir, urls);
    op = local.op;
    const env = local.env;
    [gw, crossSiteGw] = await Promise.all([
      startTestGateway({ ...env(urls[0]!), FRONTEND_CALLBACK_URL: `${urls[0]}/` }),
      // The frontend on another port of the same host: another origin, the same site.
      startTestGateway({ ...env(urls[1]!), FRONTEND_CALLBACK_URL: `${frontendUrl}/`, CORS_ORIGINS: frontendUrl }),
    ]);
    frontend = await serveExamplePage(frontendPort, urls[1]!);
  });

  afterAll(async () => {
    await Promise.all([victim?.close(), attacker?.close()]);
    await Promise.all([gw?.close(), crossSiteGw?.close(), new Promise((resolve) => frontend?.close(resolve))]);
    await op?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The provider's login (skipped when the browser is still signed in there) and consent pages. */
  async function signInAtProvider(page: Page): Promise<void> {
    const login = page.locator('input[name="login"]');
    const grant = page.getByRole('button', { name: 'Continue' });
    await login.or(grant).first().waitFor();
    if (await login.isVisible()) {
      await login.fill(DEMO_USER.preferred_username);
      await page.locator('input[name="password"]').fill('any password will do');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    }
    await grant.waitFor();
    await grant.click();
  }

  /**
   * Connects through the example page at `url` and returns the stored session id. A browser the
   * provider already knows is sent straight back, without a page.
   */
  async function connectOnPage(page: Page, url: string): Promise<string> {
    await page.goto(url);
    await page.getByTestId('connect-local-oidc').click();
    const profile = page.getByTestId('profile-local-oidc');
    const where = await Promise.race([
      page.waitForURL((target) => target.href.startsWith(op.issuer)).then(() => 'provider'),
      profile.waitFor().then(() => 'back'),
    ]);
    if (where === 'provider') await signInAtProvider(page);
    await profile.waitFor();
    return (await page.evaluate<string | null>(SESSION))!;
  }

  it("the victim opening the attacker's callback URL gets an error, keeps its own session, and the gateway would refuse it anyway", async () => {
    const victimPage = await victim.newPage();
    const ownSession = await connectOnPage(victimPage, `${gw.url}/`);

    // The attacker (another browser, here driven over HTTP) signs in with its own account and keeps
    // the callback URL instead of following it.
    const mallory = gw.browser();
    const { startAuth } = await mallory.request(StartAuthDocument, { provider: 'local-oidc' });
    const stolen = (await oidcUser({ login: 'mallory' }).authorize(startAuth.authorizationUrl)).toString();
    expect(stolen.startsWith(`${gw.url}/callback/local-oidc?`)).toBe(true);

    const completions: string[] = [];
    victimPage.on('request', (r) => r.url().endsWith('/graphql') && /CompleteAuth/.test(r.postData() ?? '') && completions.push(r.url()));
    await victimPage.goto(stolen);
    const error = victimPage.getByTestId('error');
    await error.waitFor();
    expect(await error.textContent()).toContain('UNEXPECTED_CALLBACK');
    expect(completions).toEqual([]);
    expect(await victimPage.evaluate<string | null>(SESSION)).toBe(ownSession);
    expect(victimPage.url()).toBe(`${gw.url}/`);

    // A frontend that did call completeAuth with the forwarded code from the victim's browser is refused.
    const forwarded = new URL(stolen);
    const refused = await victimPage.evaluate<string>(`fetch('/graphql', {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($c: String!, $s: String!) { completeAuth(provider: "local-oidc", code: $c, state: $s) { sessionId } }',
        variables: { c: ${JSON.stringify(forwarded.searchParams.get('code'))}, s: ${JSON.stringify(forwarded.searchParams.get('state'))} } }),
    }).then((r) => r.json()).then((b) => b.errors[0].extensions.code)`);
    expect(refused).toBe('INVALID_STATE');
    await victimPage.screenshot({ path: join(workDir, 'refused.png') });
    // The attacker's own browser still completes its flow: the victim's attempt used nothing up.
    const landed = await mallory.fetch(stolen);
    expect(landed.status).toBe(302);
    const back = new URL(landed.headers.get('location')!);
    const { completeAuth } = await mallory.request(CompleteAuthDocument, {
      provider: 'local-oidc',
      code: back.searchParams.get('code')!,
      state: back.searchParams.get('state')!,
    });
    expect(completeAuth.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await victimPage.close();
  });

  it('a ?session_id= link does not replace the stored session', async () => {
    const attackerPage = await attacker.newPage();
    const attackerSession = await connectOnPage(attackerPage, `${gw.url}/`);
    const victimPage = await victim.newPage();
    await victimPage.goto(`${gw.url}/`);
    const before = await victimPage.evaluate<string | null>(SESSION);

    await victimPage.goto(`${gw.url}/?provider=local-oidc&session_id=${attackerSession}`);
    await victimPage.getByTestId('error').waitFor();
    expect(await victimPage.getByTestId('error').textContent()).toContain('UNEXPECTED_CALLBACK');
    expect(await victimPage.evaluate<string | null>(SESSION)).toBe(before);
    expect(before).not.toBe(attackerSession);
    await Promise.all([victimPage.close(), attackerPage.close()]);
  });

  it("a frontend on another origin of the same site connects with credentials: 'include'", async () => {
    const page = await victim.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const sessionId = await connectOnPage(page, `${frontendUrl}/`);
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.getByTestId('profile-local-oidc').textContent()).toContain(DEMO_USER.email);
    expect(new URL(page.url()).origin).toBe(frontendUrl);
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** The example page served by a server of its own, talking to the gateway at `gateway` cross-origin. */
async function serveExamplePage(port: number, gateway: string): Promise<Server> {
  const index = readFileSync(join(PUBLIC, 'index.html'), 'utf8').replace('<html', `<html data-gateway="${gateway}"`);
  const files: Record<string, [string, string]> = {
    '/': ['text/html', index],
    '/app.js': ['text/javascript', readFileSync(join(PUBLIC, 'app.js'), 'utf8')],
    '/style.css': ['text/css', readFileSync(join(PUBLIC, 'style.css'), 'utf8')],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': file[0],
      'content-security-policy': `default-src 'self'; connect-src ${gateway}; img-src https: data:`,
    });
    res.end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
