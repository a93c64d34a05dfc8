import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { DEMO_USER, startOidcServer, type RunningOidcServer } from '../../src/demo/oidc-server.js';
import { freePort, startTestGateway, type TestGateway } from '../integration/harness.js';

/*
 * examples/client (built by `npm run example:build`) as a frontend on its own origin: a browser page
 * that calls the gateway cross-origin with credentials and Apollo Client's client-awareness headers,
 * through the whole sign-in at a real OpenID Provider, and switches on the error codes.
 */

const EXAMPLE = fileURLToPath(new URL('../../examples/client/', import.meta.url));

/** The example's page and its compiled modules, on an origin of their own; the page is told where the gateway is. */
async function serveExample(gatewayUrl: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://front.invalid').pathname;
    if (path === '/') {
      const page = readFileSync(join(EXAMPLE, 'index.html'), 'utf8').replace('http://127.0.0.1:4000', gatewayUrl());
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    }
    const file = /^\/dist\/[\w/-]+\.js$/.test(path) && !path.includes('..') ? join(EXAMPLE, path) : undefined;
    if (file && existsSync(file)) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the example client in Chromium, from another origin', () => {
  let workDir: string;
  let context: BrowserContext;
  let op: RunningOidcServer;
  let gw: TestGateway;
  let front: { server: Server; origin: string };

  beforeAll(async () => {
    expect(existsSync(join(EXAMPLE, 'dist/browser.js'))).toBe(true); // npm run example:build
    workDir = mkdtempSync(join(tmpdir(), 'gateway-example-'));
    front = await serveExample(() => gw.url);
    const client = { clientId: 'example-client', clientSecret: randomBytes(24).toString('base64url') };
    const port = await freePort();
    const gatewayUrl = `http://127.0.0.1:${port}`;
    op = await startOidcServer({
      host: '127.0.0.1',
      port: 0,
      clients: [{ ...client, redirectUris: [`${gatewayUrl}/callback/local-oidc`] }],
    });
    const providersFile = join(workDir, 'providers.json');
    writeFileSync(providersFile, JSON.stringify([{ id: 'local-oidc', name: 'Local OIDC', issuer: op.issuer }]));
    gw = await startTestGateway({
      PORT: String(port),
      PUBLIC_URL: gatewayUrl,
      PROVIDERS_FILE: providersFile,
      LOCAL_OIDC_CLIENT_ID: client.clientId,
      LOCAL_OIDC_CLIENT_SECRET: client.clientSecret,
      CORS_ORIGINS: front.origin,
      FRONTEND_CALLBACK_URL: `${front.origin}/`,
    });
    context = await launchChromium(join(workDir, 'profile'));
  });

  afterAll(async () => {
    await context?.close();
    await gw?.close();
    await op?.close();
    await new Promise((resolve) => front?.server.close(resolve));
    rmSync(workDir, { recursive: true, force: true });
  });

  it('signs in, reads the profile and the session, ends it, and gets SESSION_NOT_FOUND afterwards', async () => {
    const page = await context.newPage();
    const sent: Array<{ headers: Record<string, string>; status?: number }> = [];
    page.on('requestfinished', async (request) => {
      if (request.url() === `${gw.url}/graphql` && request.method() === 'POST') {
        sent.push({ headers: request.headers(), status: (await request.response())?.status() });
      }
    });
    await page.goto(`${front.origin}/`);
    await page.getByTestId('connect-local-oidc').click();
    await page.waitForURL((url) => url.href.startsWith(op.issuer));
    await page.locator('input[name="login"]').fill(DEMO_USER.preferred_username);
    await page.locator('input[name="password"]').fill('any password will do');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    const profile = page.getByTestId('profile');
    await profile.waitFor();
    expect(page.url()).toBe(`${front.origin}/`);
    expect(await profile.textContent()).toBe(
      `profile: ${JSON.stringify({ provider: 'local-oidc', id: DEMO_USER.sub, name: DEMO_USER.name, email: DEMO_USER.email })}`,
    );
    expect(await page.getByTestId('session').textContent()).toBe(`session: ${JSON.stringify({ connections: ['local-oidc'] })}`);
    const afterEnd = page.getByTestId('after-end');
    await afterEnd.waitFor();
    expect(JSON.parse((await afterEnd.textContent())!.replace(/^after-end: /, ''))).toEqual({
      code: 'SESSION_NOT_FOUND',
      status: 401,
      advice: 'The session has ended or expired: forget it and connect again.',
    });

    // Every call carried Apollo Client's headers, which are not CORS-safelisted: each went through a
    // preflight that the gateway allowed (the browser sends nothing otherwise).
    expect(sent.length).toBeGreaterThanOrEqual(5);
    for (const call of sent) {
      expect(call.headers['apollographql-client-name']).toBe('example-client');
      expect(call.headers['apollographql-client-version']).toBe('1.0.0');
    }
    const preflights = gw.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.method === 'OPTIONS' && l.path === '/graphql');
    expect(preflights.length).toBeGreaterThan(0);
    expect(preflights.every((l) => l.status === 204)).toBe(true);
  });

  it('is refused with a JSON answer naming CORS_ORIGINS when its origin is not listed', async () => {
    const page = await context.newPage();
    // The same page, loaded from localhost instead of 127.0.0.1: another origin, not listed.
    await page.goto(`${front.origin.replace('127.0.0.1', 'localhost')}/`);
    const failed = page.getByTestId('failed');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('Failed to fetch');
    const refused = gw.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.errorCode === 'CORS_ORIGIN_NOT_ALLOWED');
    expect(refused.length).toBeGreaterThan(0);
  });
});
