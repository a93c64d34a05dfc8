import { GatewayClient } from './gateway-client.js';
import { CompleteAuthDocument, EndSessionDocument, ProfileDocument, ProvidersDocument, StartAuthDocument } from './generated/graphql.js';

/**
 * The sign-in, in two halves around the provider's pages:
 * 1. `begin`: startAuth, then the browser goes to `authorizationUrl`;
 * 2. the provider sends the browser to the gateway's callback, which forwards `provider`, `code` and
 *    `state` to FRONTEND_CALLBACK_URL (this page); `finish` calls completeAuth and reads the profile.
 */
export async function begin(client: GatewayClient, provider: string): Promise<string> {
  const { startAuth } = await client.request(StartAuthDocument, { provider });
  return startAuth.authorizationUrl;
}

export async function finish(client: GatewayClient, params: URLSearchParams) {
  const provider = params.get('provider');
  const code = params.get('code');
  const state = params.get('state');
  if (!provider || !code || !state) throw new Error(`the callback carried no code (error: ${params.get('error') ?? 'none'})`);
  const { completeAuth } = await client.request(CompleteAuthDocument, { provider, code, state });
  const { profile } = await client.request(ProfileDocument, { provider, sessionId: completeAuth.sessionId });
  return { session: completeAuth, profile };
}

export async function configuredProviders(client: GatewayClient): Promise<string[]> {
  const { providers } = await client.request(ProvidersDocument);
  return providers.filter((p) => p.configured).map((p) => p.id);
}

export async function endSession(client: GatewayClient, sessionId: string): Promise<boolean> {
  return (await client.request(EndSessionDocument, { sessionId })).endSession;
}
