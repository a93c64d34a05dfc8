import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { loadConfig } from '../../../src/config/load-config.js';
import { apple } from '../../../src/providers/apple.js';
import { startFakeApple, type FakeApple } from '../../fakes/index.js';
import { ProfileDocument, StartAuthDocument } from '../../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { tokenParams } from './provider.suite.js';

/** Apple answers with a cross-site form POST to the callback, and authenticates with a minted ES256 JWT. */
describe('Sign in with Apple: form_post callback and client secret JWT', () => {
  let fake: FakeApple;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeApple({ booleanClaims: true, email: 'ada@example.com' });
    gw = await startTestGateway(fake.env());
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const postForm = (action: string, body: string, type = 'application/x-www-form-urlencoded') =>
    gw.fetch(action, { method: 'POST', headers: { 'content-type': type }, body });

  it('completes the flow from the POSTed form, user field included, with a valid ES256 secret', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'apple' });
    const { action, fields } = await fake.authorizeForm(startAuth.authorizationUrl);
    expect(action).toBe(`${gw.url}/callback/apple`);
    expect(fields.get('user')).toContain('firstName'); // first consent only
    const landing = await postForm(action, fields.toString());
    expect(landing.status).toBe(200);
    const done = (await landing.json()) as { sessionId: string; provider: string };
    expect(done.provider).toBe('apple');

    const secret = tokenParams(fake.tokenRequests('authorization_code').at(-1)!).get('client_secret')!;
    expect(decodeProtectedHeader(secret)).toMatchObject({ alg: 'ES256', kid: fake.keyId });
    const claims = decodeJwt(secret);
    expect(claims).toMatchObject({ iss: fake.teamId, sub: fake.clientId, aud: fake.url });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);

    const { profile } = await gw.request(ProfileDocument, { provider: 'apple', sessionId: done.sessionId });
    // email_verified sent as a boolean this time.
    expect(profile).toMatchObject({ id: fake.sub, email: 'ada@example.com', emailVerified: true });
  });

  it('completes a POSTed answer only for the browser that started the flow (its cookie must cross the site: COOKIE_SAMESITE=none)', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'apple' });
    const { action, fields } = await fake.authorizeForm(startAuth.authorizationUrl);
    const stranger = await gw
      .browser()
      .fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
    expect(stranger.status).toBe(400);
    expect(await stranger.json()).toMatchObject({ error: 'INVALID_STATE' });
    expect(fake.tokenRequests('authorization_code').map((r) => tokenParams(r).get('code'))).not.toContain(fields.get('code'));
  });

  it('warns at boot when COOKIE_SAMESITE leaves the cross-site POST without the binding cookie', async () => {
    const lax = await startTestGateway(fake.env());
    const none = await startTestGateway({ ...fake.env(), COOKIE_SAMESITE: 'none' });
    try {
      expect(lax.logs.some((line) => line.includes('set COOKIE_SAMESITE=none'))).toBe(true);
      expect(none.logs.some((line) => line.includes('set COOKIE_SAMESITE=none'))).toBe(false);
    } finally {
      await Promise.all([lax.close(), none.close()]);
    }
  });

  it('sends the user field only on the first consent', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'apple' });
    const { fields } = await fake.authorizeForm(startAuth.authorizationUrl);
    expect(fields.has('user')).toBe(false);
  });

  it('turns a POSTed refusal into ACCESS_DENIED', async () => {
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'apple' });
    const { action, fields } = await fake.authorizeForm(startAuth.authorizationUrl, { deny: true });
    expect(fields.get('error')).toBe('user_cancelled_authorize');
    const landing = await postForm(action, fields.toString());
    expect(landing.status).toBe(400);
    expect(await landing.json()).toMatchObject({ error: 'ACCESS_DENIED', provider: 'apple' });
  });

  it('refuses a POST callback that is not a form, and a POST to a provider that answers with GET', async () => {
    const json = await postForm(`${gw.url}/callback/apple`, '{"code":"x","state":"y"}', 'application/json');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'BAD_USER_INPUT' });
    const spotify = await postForm(`${gw.url}/callback/spotify`, 'code=x&state=y');
    expect(spotify.status).toBe(400);
    expect(await spotify.json()).toMatchObject({ error: 'BAD_USER_INPUT' });
  });

  it('refuses a secret JWT with another kid, team, audience or a lifetime beyond six months', async () => {
    for (const changes of [
      { kid: 'WRONGKEY00' },
      { iss: 'ZZZZZZZZZZ' },
      { aud: 'https://appleid.apple.com.evil' },
      { lifetime: 15777001 },
    ]) {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'r-unknown',
        client_id: fake.clientId,
        client_secret: await fake.mintSecret(changes),
      });
      const answer = await fetch(fake.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 400, body: { error: 'invalid_client' } });
    }
  });

  it('checks the key variables at boot, one line per problem', () => {
    const minted = { apple: apple.mintedClientSecret! };
    const boot = (env: Record<string, string>) => {
      try {
        loadConfig(env, ['apple'], minted);
        return [];
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    };
    expect(boot({ APPLE_CLIENT_ID: 'com.example', APPLE_TEAM_ID: 'A1B2C3D4E5' })).toEqual([
      'APPLE_CLIENT_ID, APPLE_TEAM_ID, APPLE_KEY_ID, APPLE_PRIVATE_KEY must be set together',
    ]);
    const problems = boot({
      APPLE_CLIENT_ID: 'com.example',
      APPLE_TEAM_ID: 'A1B2C3D4E5',
      APPLE_KEY_ID: 'short',
      APPLE_PRIVATE_KEY: 'not a key',
    });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/APPLE_KEY_ID.*\n.*APPLE_PRIVATE_KEY/);
    expect(problems.join('\n')).not.toContain('not a key');
    expect(boot(fake.env())).toEqual([]);
  });
});
