import { afterEach, describe, expect, it } from '@jest/globals';
import { CONSUMER_TENANT, startFakeEntra, type FakeEntra, type FakeEntraOptions } from '../../fakes/index.js';
import { CompleteAuthDocument, ProfileDocument } from '../../generated/graphql.js';
import { authorizeAt, connect, startTestGateway, type TestGateway } from '../harness.js';

/** Entra's multi-tenant issuer: each ID token's `iss` is checked against its own `tid`, never skipped. */
describe('Microsoft Entra ID tenant issuer', () => {
  let fake: FakeEntra;
  let gw: TestGateway;
  const start = async (opts: FakeEntraOptions = {}) => {
    fake = await startFakeEntra(opts);
    gw = await startTestGateway(fake.env());
  };
  afterEach(async () => {
    await gw?.close();
    await fake?.close();
  });
  const completeWith = async (override: Record<string, unknown>) => {
    const { code, state } = await authorizeAt(gw, fake, 'microsoft-entra-id');
    fake.signer.override(override);
    return gw.failure(CompleteAuthDocument, { provider: 'microsoft-entra-id', code, state });
  };

  it('accepts users of any tenant through common, each with the issuer of its own tenant', async () => {
    await start();
    expect((await connect(gw, fake, 'microsoft-entra-id')).provider).toBe('microsoft-entra-id');
    fake.user.tid = 'b2c9e0c4-2f5e-4a8e-9f7e-1c2d3e4f5a6b';
    expect((await connect(gw, fake, 'microsoft-entra-id')).provider).toBe('microsoft-entra-id');
  });

  it('refuses a token whose iss names another tenant than its tid', async () => {
    await start();
    const failure = await completeWith({ iss: fake.issuerFor('11111111-2222-3333-4444-555555555555') });
    expect(failure).toMatchObject({ code: 'INVALID_ID_TOKEN', extensions: { provider: 'microsoft-entra-id' } });
  });

  it('refuses a token without tid, and one whose iss is the unfilled template', async () => {
    await start();
    expect((await completeWith({ tid: undefined })).code).toBe('INVALID_ID_TOKEN');
    expect((await completeWith({ iss: fake.issuerFor('{tenantid}') })).code).toBe('INVALID_ID_TOKEN');
  });

  it('through organizations, refuses the personal-account tenant', async () => {
    await start({ tenant: 'organizations', user: { tid: CONSUMER_TENANT } });
    const failure = await completeWith({});
    expect(failure).toMatchObject({ code: 'INVALID_ID_TOKEN', extensions: { provider: 'microsoft-entra-id' } });
  });

  it('reports the e-mail as verified only when the xms_edov claim says its domain owner verified it', async () => {
    await start({ user: { xms_edov: true } });
    const session = await connect(gw, fake, 'microsoft-entra-id');
    const { profile } = await gw.request(ProfileDocument, { provider: 'microsoft-entra-id', sessionId: session.sessionId });
    expect(profile).toMatchObject({ email: 'ada@contoso.com', emailVerified: true });
  });
});
