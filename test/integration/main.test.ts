import { builtinProviders } from '../../src/providers/index.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { freePort } from './harness.js';

// The built entry point, as `npm start` runs it (`npm test` builds first).
const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

async function waitFor(url: string, deadline = Date.now() + 15_000): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Resolves once `predicate` holds for the output so far; fails with that output after `ms`. */
async function outputUntil(
  output: () => { stdout: string; stderr: string },
  predicate: (stdout: string) => boolean,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate(output().stdout)) {
    if (Date.now() > deadline) throw new Error(`not seen within ${ms} ms; stdout so far:\n${output().stdout}\nstderr:\n${output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the gateway process', () => {
  it('says it is listening, and what is misconfigured, before any request; logs a request within a second or so', async () => {
    const port = await freePort();
    // PORT alone, no PUBLIC_URL: the redirect URIs must follow it. GITHUB_CLIENTID is a typo.
    const { child, output } = run({ PORT: String(port), HOST: '127.0.0.1', GITHUB_CLIENTID: 'abc' });
    try {
      await outputUntil(output, (stdout) => stdout.includes('gateway listening'), 15_000);
      expect(output().stdout).toContain('did you mean GITHUB_CLIENT_ID?');
      expect(output().stdout).not.toContain('abc');
      expect(output().stderr).not.toContain('oidc-provider');

      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { startAuth(provider: "demo") { authorizationUrl } }' }),
      });
      const { data } = (await res.json()) as { data: { startAuth: { authorizationUrl: string } } };
      const redirectUri = new URL(data.startAuth.authorizationUrl).searchParams.get('redirect_uri');
      expect(redirectUri).toBe(`http://127.0.0.1:${port}/callback/demo`);
      // One request, no more traffic: its line is flushed by the timer, not by a full buffer.
      await outputUntil(output, (stdout) => stdout.includes('"operation":"startAuth"'), 3_000);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('has written its start-up lines by the time it answers, so even a kill -9 then loses none', async () => {
    const port = await freePort();
    const { child, output } = run({ PORT: String(port), HOST: '127.0.0.1' });
    expect((await waitFor(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(output().stdout).toContain('the built-in demo provider is on');
    expect(output().stdout).toContain('gateway listening');
  });

  it('refuses to start on a CORS_ORIGINS entry with a trailing slash, naming the origin to write', async () => {
    const { child, output } = run({ CORS_ORIGINS: 'http://127.0.0.1:5173/', PORT: String(await freePort()) });
    // A gateway that starts anyway must not outlive the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code] = await once(child, 'exit');
    clearTimeout(guard);
    expect(code).toBe(1);
    expect(output().stderr).toContain('CORS_ORIGINS: "http://127.0.0.1:5173/" is not a bare origin: write http://127.0.0.1:5173');
  });

  it('starts with no provider credentials, turns the demo provider on, serves GraphQL, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, output } = run({ PORT: String(port), HOST: '127.0.0.1' });
    try {
      expect((await waitFor(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ providers { id configured } }' }),
      });
      expect(await res.json()).toEqual({
        data: {
          providers: [...builtinProviders.map((p) => ({ id: p.id, configured: false })), { id: 'demo', configured: true }],
        },
      });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output().stdout).toContain('REDIS_URL is not set');
    expect(output().stdout).toContain('the built-in demo provider is on');
  });

  it('never starts the demo provider in production', async () => {
    const port = await freePort();
    const { child } = run({ PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' });
    try {
      await waitFor(`http://127.0.0.1:${port}/healthz`);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ providers { id } }' }),
      });
      const { data } = (await res.json()) as { data: { providers: Array<{ id: string }> } };
      expect(data.providers.map((p) => p.id)).toEqual(builtinProviders.map((p) => p.id));
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('refuses to start on invalid configuration, listing every problem on its own line', async () => {
    const { child, output } = run({
      PORT: 'eighty',
      REDIS_URL: 'redis://127.0.0.1:6379',
      GITHUB_CLIENT_ID: 'only-the-id',
      UPSTREAM_TIMEOUT_MS: '-1',
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    const lines = output().stderr.trim().split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('PORT'),
        expect.stringContaining('TOKEN_ENCRYPTION_KEY is required'),
        expect.stringContaining('GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET'),
        expect.stringContaining('UPSTREAM_TIMEOUT_MS'),
      ]),
    );
    expect(lines).toHaveLength(5);
    expect(output().stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});
