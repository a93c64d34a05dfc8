import '../oidc/quiet.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_USER } from '../../src/demo/oidc-server.js';
import { ProviderRequestDocument } from '../generated/graphql.js';
import { oidcUser } from '../oidc/interaction.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

// The example page's use of the proxy: the built-in demo provider's connection reads its UserInfo.
describe('the demo provider through providerRequest', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ DEMO_PROVIDER: 'true' });
  });
  afterAll(() => gw.close());

  it("reads the demo account's UserInfo (GET /me) with the connection's token, and nothing else", async () => {
    const { sessionId } = await connect(gw, oidcUser(), 'demo');
    const { providerRequest } = await gw.request(ProviderRequestDocument, { provider: 'demo', sessionId, request: { path: '/me' } });
    expect(providerRequest).toMatchObject({ provider: 'demo', credential: 'USER', status: 200, ok: true });
    expect(providerRequest.json).toMatchObject({ sub: DEMO_USER.sub });
    const refused = await gw.failure(ProviderRequestDocument, { provider: 'demo', sessionId, request: { path: '/token/introspection' } });
    expect(refused.code).toBe('PROXY_NOT_ALLOWED');
  });
});
