import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ClientAuthMethod } from '../../../src/providers/types.js';
import { formBody, parseJson, type Endpoint, type Failure, type RecordedRequest, type SuiteFake } from '../../fakes/index.js';
import {
  CompleteAuthDocument,
  DisconnectDocument,
  ProfileDocument,
  ProvidersDocument,
  StartAuthDocument,
  type ProfileQuery,
} from '../../generated/graphql.js';
import { authorizeAt, connect, startTestGateway, type GraphQLFailure, type TestGateway } from '../harness.js';

export type Profile = ProfileQuery['profile'];

/** A provider answer in its own error shape, and the code the gateway must make of it. */
export interface ErrorShape {
  name: string;
  /** Which call meets the failure: the code exchange, a refresh, or the profile read. */
  step: 'exchange' | 'refresh' | 'profile';
  endpoint: Endpoint;
  failure: Failure;
  code: string;
}

/**
 * What a provider's ~15-line adapter tells the suite. Everything the suite asserts comes from here
 * and from the fake's common interface (`SuiteFake`), never from the provider's name.
 */
export interface ProviderAdapter<F extends SuiteFake = SuiteFake> {
  /** The built-in provider's id. */
  provider: string;
  start(): Promise<F>;
  /** Gateway variables beyond the fake's own `env()`. */
  env?(fake: F): Record<string, string>;
  /**
   * - rotating: each refresh returns a new refresh token and kills the old one;
   * - kept: the refresh response carries none, and the first stays valid;
   * - none: no refresh token is issued, so an expired access token means connecting again.
   */
  refresh: 'rotating' | 'kept' | 'none';
  /** Whether disconnecting revokes at the provider. */
  revocation: boolean;
  /** Client authentication the token endpoint accepts, and how the fake refuses any other method. */
  clientAuth: { accepts: ClientAuthMethod[]; refusal: { status: number; body: Record<string, unknown> } };
  /** The fake endpoint that serves the profile document (`userinfo` for OIDC providers); none when the profile is the ID token. */
  profileEndpoint?: Endpoint;
  /**
   * A 2xx profile document outside the documented shape (missing the id), which must be PROVIDER_ERROR.
   * Left out for OIDC providers, whose id comes from the validated ID token.
   */
  malformedProfile?: Record<string, unknown>;
  /** Provider-specific checks of the authorization request the gateway built. */
  authorizationRequest?(url: URL, fake: F): void;
  /** Provider-specific checks of the token requests the gateway sent. */
  tokenRequest?(request: RecordedRequest, fake: F): void;
  /** Provider-specific expectations on the normalized profile. */
  profile(profile: Profile, fake: F): void;
  errorShapes?: ErrorShape[];
}

/** A token request's parameters, whether sent as a form or as JSON. */
export function tokenParams(request: RecordedRequest): URLSearchParams {
  const json = parseJson(request.body);
  return formBody(request) ?? new URLSearchParams(json && typeof json === 'object' ? (json as Record<string, string>) : {});
}

/** The client authentication method a token request used. */
export function authMethodOf(request: RecordedRequest): ClientAuthMethod | 'none' {
  if (/^Basic /i.test(request.headers.authorization ?? '')) return 'client_secret_basic';
  return tokenParams(request).has('client_secret') ? 'client_secret_post' : 'none';
}

const METHODS: ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export function describeProvider<F extends SuiteFake>(adapter: ProviderAdapter<F>): void {
  const id = adapter.provider;

  describe(`provider ${id}`, () => {
    let fake: F;
    let gw: TestGateway;

    beforeAll(async () => {
      fake = await adapter.start();
      gw = await startTestGateway({ ...fake.env(), ...adapter.env?.(fake) });
    });
    afterAll(async () => {
      await gw?.close();
      await fake?.close();
    });

    /** A provider-named failure that is a typed error from the catalog, never a 500. */
    const expectTyped = (failure: GraphQLFailure, code: string) => {
      expect(failure).toMatchObject({ code, extensions: { provider: id } });
      expect(failure.status).not.toBe(500);
      expect(JSON.stringify(failure)).not.toMatch(/stacktrace|\n\s+at /);
    };
    const profileOf = async (sessionId: string) => (await gw.request(ProfileDocument, { provider: id, sessionId })).profile;

    it('is listed and configured, with its refresh and revocation support', async () => {
      const { providers } = await gw.request(ProvidersDocument, {});
      expect(providers.find((p) => p.id === id)).toMatchObject({
        configured: true,
        supportsRefresh: adapter.refresh !== 'none',
        supportsRevocation: adapter.revocation,
      });
    });

    it("connects through the whole flow with the provider's client authentication", async () => {
      const { startAuth, code, state } = await authorizeAt(gw, fake, id);
      const url = new URL(startAuth.authorizationUrl);
      expect(url.searchParams.get('redirect_uri')).toBe(`${gw.url}/callback/${id}`);
      expect(url.searchParams.get('state')).toBe(startAuth.state);
      adapter.authorizationRequest?.(url, fake);

      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: id, code, state });
      expect(completeAuth).toMatchObject({ provider: id, sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const exchange = fake.tokenRequests('authorization_code').at(-1)!;
      expect(adapter.clientAuth.accepts).toContain(authMethodOf(exchange));
      expect(tokenParams(exchange).get('code')).toBe(code);
      adapter.tokenRequest?.(exchange, fake);
    });

    it('maps the profile document, with an honest emailVerified', async () => {
      const session = await connect(gw, fake, id);
      const profile = await profileOf(session.sessionId);
      expect(profile.provider).toBe(id);
      expect(profile.id).toMatch(/^\S+$/);
      expect([true, false, null]).toContain(profile.emailVerified);
      if (profile.email === null) expect(profile.emailVerified).toBeNull();
      expect(typeof profile.raw).toBe('object');
      adapter.profile(profile, fake);
    });

    if (adapter.refresh === 'none') {
      it('issues no refresh token: an expired access token means connecting again', async () => {
        const session = await connect(gw, fake, id);
        const refreshes = fake.tokenRequests('refresh_token').length;
        fake.expireAccessTokens();
        expectTyped(await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId }), 'REAUTH_REQUIRED');
        expect(fake.tokenRequests('refresh_token')).toHaveLength(refreshes);
        expect((await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId })).code).toBe('SESSION_NOT_FOUND');
      });
    } else {
      it(`refreshes an expired access token (${adapter.refresh} refresh token), twice in a row`, async () => {
        const session = await connect(gw, fake, id);
        const before = fake.tokenRequests('refresh_token').length;
        fake.expireAccessTokens();
        expect((await profileOf(session.sessionId)).provider).toBe(id);
        fake.expireAccessTokens();
        expect((await profileOf(session.sessionId)).provider).toBe(id);
        const [first, second] = fake.tokenRequests('refresh_token').slice(before);
        expect(fake.tokenRequests('refresh_token').length - before).toBe(2);
        for (const request of [first!, second!]) {
          expect(adapter.clientAuth.accepts).toContain(authMethodOf(request));
          adapter.tokenRequest?.(request, fake);
        }
        const [used1, used2] = [tokenParams(first!).get('refresh_token'), tokenParams(second!).get('refresh_token')];
        expect(used1).toEqual(expect.any(String));
        // Rotating: the gateway must have stored the new token, as the fake killed the old one.
        if (adapter.refresh === 'rotating') expect(used2).not.toBe(used1);
        else expect(used2).toBe(used1);
      });
    }

    if (adapter.revocation) {
      it('revokes at the provider on disconnect and forgets the connection', async () => {
        const session = await connect(gw, fake, id);
        const revocations = fake.revocationRequests().length;
        const warnings = gw.logs.filter((l) => l.includes('upstream revocation failed')).length;
        expect((await gw.request(DisconnectDocument, { provider: id, sessionId: session.sessionId })).disconnect).toBe(true);
        expect(fake.revocationRequests()).toHaveLength(revocations + 1);
        // The provider accepted it: a refused revocation is logged as failed.
        expect(gw.logs.filter((l) => l.includes('upstream revocation failed'))).toHaveLength(warnings);
        expect((await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId })).code).toBe('SESSION_NOT_FOUND');
      });
    } else {
      it('has no revocation: disconnect only forgets the connection', async () => {
        const session = await connect(gw, fake, id);
        const calls = fake.requests.length;
        expect((await gw.request(DisconnectDocument, { provider: id, sessionId: session.sessionId })).disconnect).toBe(true);
        expect(fake.requests).toHaveLength(calls);
        expect((await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId })).code).toBe('SESSION_NOT_FOUND');
      });
    }

    it('turns a denied consent into ACCESS_DENIED and burns the state', async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: id });
      const callback = await fake.authorize(startAuth.authorizationUrl, { deny: true });
      expect(callback.searchParams.has('code')).toBe(false);
      const landing = await gw.fetch(callback);
      expect(landing.status).toBe(400);
      expect(await landing.json()).toMatchObject({ error: 'ACCESS_DENIED', provider: id });
      const later = await gw.failure(CompleteAuthDocument, { provider: id, code: 'a-code-from-elsewhere', state: startAuth.state });
      expect(later.code).toBe('INVALID_STATE');
    });

    it('turns a code the provider refuses into TOKEN_EXCHANGE_FAILED', async () => {
      const { state } = await authorizeAt(gw, fake, id);
      expectTyped(await gw.failure(CompleteAuthDocument, { provider: id, code: 'not-a-code-it-issued', state }), 'TOKEN_EXCHANGE_FAILED');
    });

    it('a code is single use at the provider', async () => {
      const { code, state } = await authorizeAt(gw, fake, id);
      await gw.request(CompleteAuthDocument, { provider: id, code, state });
      const again = await authorizeAt(gw, fake, id);
      expectTyped(await gw.failure(CompleteAuthDocument, { provider: id, code, state: again.state }), 'TOKEN_EXCHANGE_FAILED');
    });

    it('turns a grant the provider killed into REAUTH_REQUIRED, and forgets the connection', async () => {
      const session = await connect(gw, fake, id);
      fake.revokeAll();
      fake.expireAccessTokens();
      expectTyped(await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId }), 'REAUTH_REQUIRED');
      expect((await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId })).code).toBe('SESSION_NOT_FOUND');
    });

    for (const method of METHODS) {
      const accepted = adapter.clientAuth.accepts.includes(method);
      it(`the token endpoint ${accepted ? 'accepts' : 'refuses'} ${method}`, async () => {
        const answer = await tokenCall(fake, method);
        if (accepted) expect(answer).not.toMatchObject(adapter.clientAuth.refusal);
        else expect(answer).toMatchObject(adapter.clientAuth.refusal);
      });
    }

    const shapes: ErrorShape[] = [
      // Outside any documented shape: PROVIDER_ERROR, naming the provider.
      {
        name: 'a 200 token answer without access_token',
        step: 'exchange',
        endpoint: 'token',
        failure: { status: 200, body: { ok: true } },
        code: 'PROVIDER_ERROR',
      },
      { name: 'an HTML token answer', step: 'exchange', endpoint: 'token', failure: 'garbage', code: 'PROVIDER_ERROR' },
      // A provider without a profile document (Apple: the profile is the validated ID token) has none to break.
      ...(adapter.profileEndpoint
        ? [
            {
              name: 'an HTML profile answer',
              step: 'profile' as const,
              endpoint: adapter.profileEndpoint,
              failure: 'garbage' as const,
              code: 'PROVIDER_ERROR',
            },
          ]
        : []),
      ...(adapter.malformedProfile && adapter.profileEndpoint
        ? [
            {
              name: 'a profile without its id',
              step: 'profile' as const,
              endpoint: adapter.profileEndpoint,
              failure: { status: 200, body: adapter.malformedProfile },
              code: 'PROVIDER_ERROR',
            },
          ]
        : []),
      ...(adapter.errorShapes ?? []),
    ];
    for (const shape of shapes) {
      if (shape.step === 'refresh' && adapter.refresh === 'none') continue;
      it(`turns ${shape.name} (${shape.step}) into ${shape.code}`, async () => {
        if (shape.step === 'exchange') {
          const { code, state } = await authorizeAt(gw, fake, id);
          fake.failNext(shape.endpoint, shape.failure);
          return expectTyped(await gw.failure(CompleteAuthDocument, { provider: id, code, state }), shape.code);
        }
        const session = await connect(gw, fake, id);
        if (shape.step === 'refresh') fake.expireAccessTokens();
        fake.failNext(shape.endpoint, shape.failure);
        expectTyped(await gw.failure(ProfileDocument, { provider: id, sessionId: session.sessionId }), shape.code);
      });
    }

    it('never logs a code, state, token, secret or session id', async () => {
      const { code, state } = await authorizeAt(gw, fake, id);
      const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: id, code, state });
      await profileOf(completeAuth.sessionId);
      const logs = gw.logs.join('\n');
      const bearers = fake.requests.map((r) => /^Bearer (\S+)$/.exec(r.headers.authorization ?? '')?.[1]).filter(Boolean);
      // A provider without a user API (Apple) is only ever sent its refresh tokens.
      const refreshTokens = fake.tokenRequests('refresh_token').map((r) => tokenParams(r).get('refresh_token'));
      const tokens = [...bearers, ...refreshTokens].filter((t): t is string => Boolean(t));
      expect(tokens.length).toBeGreaterThan(0);
      for (const secret of [code, state, completeAuth.sessionId, fake.clientSecret, ...tokens]) expect(logs).not.toContain(secret);
    });
  });
}

/** A code exchange sent straight to the fake with one client authentication method (and a code it never issued). */
async function tokenCall(fake: SuiteFake, method: ClientAuthMethod): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'never-issued', redirect_uri: 'http://127.0.0.1/callback' });
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'provider-suite/1.0 (test)',
  };
  if (method === 'client_secret_basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(fake.clientId)}:${encodeURIComponent(fake.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', fake.clientId);
    form.set('client_secret', fake.clientSecret);
  }
  const response = await fetch(fake.tokenEndpoint, { method: 'POST', headers, body: form.toString() });
  const text = await response.text();
  const body = parseJson(text);
  return { status: response.status, body: body && typeof body === 'object' ? (body as Record<string, unknown>) : { text } };
}
