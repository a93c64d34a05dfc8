import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGoogle, type FakeGoogle } from '../fakes/index.js';
import { ProviderRequestDocument, type ProviderRequestInput } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

describe('providerRequest against Google: userinfo and the People API on its own host', () => {
  let google: FakeGoogle;
  let gw: TestGateway;
  let sessionId: string;
  const read = async (request: ProviderRequestInput, session = sessionId) =>
    (await gw.request(ProviderRequestDocument, { provider: 'google', sessionId: session, request })).providerRequest;
  const people = () => google.requests.filter((r) => r.path.startsWith('/people-host/'));

  beforeAll(async () => {
    google = await startFakeGoogle();
    gw = await startTestGateway(google.env());
    ({ sessionId } = await connect(gw, google, 'google'));
  });
  afterAll(async () => {
    await gw.close();
    await google.close();
  });

  it("reads the user's People API profile from the People API's base, with the connection's token", async () => {
    const person = await read({ path: '/people/v1/people/me', query: [{ name: 'personFields', value: 'names,emailAddresses' }] });
    expect(person).toMatchObject({ provider: 'google', status: 200, ok: true });
    const json = person.json as { names: Array<{ displayName: string }>; emailAddresses: Array<{ value: string }> };
    expect(json.names[0]!.displayName).toEqual(expect.any(String));
    expect(json.emailAddresses[0]!.value).toContain('@');
    const sent = people().at(-1)!;
    // The mount's segment is not part of the People API's path: /people/v1/... is sent as /v1/...
    expect(sent.path).toBe('/people-host/v1/people/me');
    expect(sent.query.get('personFields')).toBe('names,emailAddresses');
    expect(sent.headers.authorization).toMatch(/^Bearer \S+$/);
  });

  it('reads the userinfo document from the main base', async () => {
    const userinfo = await read({ path: '/oauth2/v3/userinfo' });
    expect(userinfo.status).toBe(200);
    expect((userinfo.json as { sub: string }).sub).toEqual(expect.any(String));
    expect(google.requests.at(-1)!.path).toBe('/oauth2/v3/userinfo');
  });

  it("passes Google's 400 for a missing personFields back as data", async () => {
    const answer = await read({ path: '/people/v1/people/me' });
    expect(answer).toMatchObject({ status: 400, ok: false });
    expect((answer.json as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
  });

  it('refuses People API paths off the allow-list, and dot segments that would leave the mount, sending nothing', async () => {
    const before = people().length;
    for (const path of ['/people/v1/people/me/connections', '/people/v1/contactGroups', '/people/../oauth2/v3/userinfo']) {
      const failure = await gw.failure(ProviderRequestDocument, { provider: 'google', sessionId, request: { path } });
      expect(['PROXY_NOT_ALLOWED', 'BAD_USER_INPUT']).toContain(failure.code);
    }
    expect(people().length).toBe(before);
  });

  it('a connection without the profile scope gets INSUFFICIENT_SCOPE naming the scope Google asks for', async () => {
    const narrow = await connect(gw, google, 'google', { scopes: ['openid', 'email'] });
    const failure = await gw.failure(ProviderRequestDocument, {
      provider: 'google',
      sessionId: narrow.sessionId,
      request: { path: '/people/v1/people/me', query: [{ name: 'personFields', value: 'names' }] },
    });
    expect(failure.code).toBe('INSUFFICIENT_SCOPE');
    expect(failure.extensions.requiredScopes).toEqual(['https://www.googleapis.com/auth/userinfo.profile']);
  });
});
