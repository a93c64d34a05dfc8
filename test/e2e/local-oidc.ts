import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOidcServer, type RunningOidcServer } from '../../src/demo/oidc-server.js';

/**
 * A real OpenID Provider on loopback (oidc-provider) that knows one client, declared to gateways at
 * `urls` through a PROVIDERS_FILE in `dir` as `local-oidc`. `env(url)` is a gateway's variables.
 */
export async function startLocalOidc(
  dir: string,
  urls: string[],
): Promise<{ op: RunningOidcServer; env(url: string): Record<string, string> }> {
  const client = { clientId: 'example-page', clientSecret: randomBytes(24).toString('base64url') };
  const op = await startOidcServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ ...client, redirectUris: urls.map((url) => `${url}/callback/local-oidc`) }],
  });
  const providersFile = join(dir, 'providers.json');
  writeFileSync(providersFile, JSON.stringify([{ id: 'local-oidc', name: 'Local OIDC', issuer: op.issuer }]));
  return {
    op,
    env: (url) => ({
      PORT: new URL(url).port,
      PUBLIC_URL: url,
      PROVIDERS_FILE: providersFile,
      LOCAL_OIDC_CLIENT_ID: client.clientId,
      LOCAL_OIDC_CLIENT_SECRET: client.clientSecret,
    }),
  };
}
