import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StartAuthDocument } from '../generated/graphql.js';
import { startFakeGithub, startFakeGoogle, type FakeGithub, type FakeGoogle } from '../fakes/index.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

/**
 * The authorization URL of each flow: the provider's fixed parameters, then the flow's own state,
 * PKCE challenge and nonce. Flows of one provider share everything but those, and a flow with other
 * scopes, or at another provider, gets its own.
 */
describe('the authorization URL of startAuth', () => {
  let github: FakeGithub;
  let google: FakeGoogle;
  let gw: TestGateway;

  beforeAll(async () => {
    [github, google] = await Promise.all([startFakeGithub(), startFakeGoogle()]);
    gw = await startTestGateway({ ...github.env(), ...google.env() });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([github.close(), google.close()]);
  });

  const start = async (provider: string, scopes?: string[]) => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider, options: scopes && { scopes } });
    return { ...startAuth, url: new URL(startAuth.authorizationUrl) };
  };
  /** The parameters other than the flow's own values, in the order the URL has them. */
  const fixed = (url: URL) => [...url.searchParams].filter(([name]) => !['state', 'code_challenge', 'nonce'].includes(name));

  it('carries each flow its own state and challenge, and the same fixed parameters in the same order', async () => {
    const flows = await Promise.all([start('github'), start('github'), start('github')]);
    for (const flow of flows) {
      expect(flow.url.searchParams.get('state')).toBe(flow.state);
      expect(flow.url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect([...flow.url.searchParams.keys()]).toEqual([
        'response_type',
        'client_id',
        'redirect_uri',
        'scope',
        'state',
        'code_challenge',
        'code_challenge_method',
      ]);
      expect(fixed(flow.url)).toEqual(fixed(flows[0]!.url));
    }
    expect(new Set(flows.map((f) => f.url.searchParams.get('code_challenge'))).size).toBe(3);
    expect(flows[0]!.url.searchParams.get('redirect_uri')).toBe(`${gw.url}/callback/github`);
  });

  it('asks for the scopes of this flow: the defaults, then others, then the defaults again', async () => {
    const scope = async (scopes?: string[]) => (await start('github', scopes)).url.searchParams.get('scope');
    const defaults = await scope();
    expect(defaults).toBe('read:user user:email');
    expect(await scope(['repo'])).toBe('repo');
    expect(await scope(['repo', 'read:org'])).toBe('repo read:org');
    expect(await scope()).toBe(defaults);
  });

  it('gives an OpenID Connect flow a nonce of its own, and another provider its own endpoint', async () => {
    const [a, b] = await Promise.all([start('google'), start('google')]);
    expect(a.url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.url.searchParams.get('nonce')).not.toBe(b.url.searchParams.get('nonce'));
    expect(a.url.origin).not.toBe((await start('github')).url.origin);
    expect(a.url.searchParams.get('redirect_uri')).toBe(`${gw.url}/callback/google`);
  });

  it('holds the S256 challenge of the verifier the provider is later given: the flow completes', async () => {
    // The fakes check code_verifier against code_challenge, and Google's ID token against the nonce.
    await expect(connect(gw, github, 'github')).resolves.toMatchObject({ provider: 'github' });
    await expect(connect(gw, google, 'google')).resolves.toMatchObject({ provider: 'google' });
  });
});
