// First: it must be in place before oidc-provider is imported.
import './quiet-notices.js';
import type { ProviderSettings } from '../config/config.js';
import { randomHandle } from '../auth/random.js';
import { genericOidc } from '../providers/generic.js';
import type { ProviderDefinition } from '../providers/types.js';
import { DEMO_USER, startOidcServer } from './oidc-server.js';

export interface DemoProvider {
  definition: ProviderDefinition;
  settings: ProviderSettings;
  issuer: string;
  close(): Promise<void>;
}

/**
 * The built-in demo: an OpenID Provider in this process, on loopback only, with one fake user, so
 * the whole flow can be tried with no account anywhere. The gateway starts it only outside
 * production and only when no real provider is configured.
 */
export async function startDemoProvider(publicUrl: string): Promise<DemoProvider> {
  const settings: ProviderSettings = {
    clientId: 'gateway-demo',
    clientSecret: randomHandle(),
    redirectUri: `${publicUrl}/callback/demo`,
  };
  const server = await startOidcServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ clientId: settings.clientId!, clientSecret: settings.clientSecret!, redirectUris: [settings.redirectUri] }],
    user: DEMO_USER,
  });
  return {
    // Its UserInfo endpoint (oidc-provider serves it at /me) is readable through providerRequest.
    definition: genericOidc({
      id: 'demo',
      name: 'Demo (built-in, fake account)',
      issuer: server.issuer,
      apiUrl: server.issuer,
      proxy: { allow: ['GET /me'] },
    }),
    settings,
    issuer: server.issuer,
    close: () => server.close(),
  };
}
