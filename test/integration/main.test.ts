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

describe('the gateway process', () => {
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
          providers: [
            { id: 'spotify', configured: false },
            { id: 'github', configured: false },
            { id: 'google', configured: false },
            { id: 'gitlab', configured: false },
            { id: 'discord', configured: false },
            { id: 'dropbox', configured: false },
            { id: 'linkedin', configured: false },
            { id: 'reddit', configured: false },
            { id: 'strava', configured: false },
            { id: 'demo', configured: true },
          ],
        },
      });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output().stdout).toContain('TOKEN_ENCRYPTION_KEY is not set');
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
      expect(data.providers.map((p) => p.id)).toEqual([
        'spotify',
        'github',
        'google',
        'gitlab',
        'discord',
        'dropbox',
        'linkedin',
        'reddit',
        'strava',
      ]);
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
