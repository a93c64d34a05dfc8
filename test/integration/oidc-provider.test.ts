import '../oidc/quiet.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { DEMO_USER, startOidcServer, type OidcClientConfig, type RunningOidcServer } from '../../src/demo/oidc-server.js';
import {
  CompleteAuthDocument,
  DisconnectDocument,
  EndSessionDocument,
  ProfileDocument,
  ProvidersDocument,
  SessionDocument,
  StartAuthDocument,
} from '../generated/graphql.js';
import { oidcUser } from '../oidc/interaction.js';
import { discover, introspect, signInAs, type ProviderMetadata } from '../oidc/op-client.js';
import { startTokenProxy, type TokenProxy } from '../oidc/token-proxy.js';
import { authorizeAt, connect, freePort, startTestGateway, type TestClient, type TestGateway } from './harness.js';

const secret = () => randomBytes(24).toString('base64url');

/** GET on the gateway's callback route, as the browser would after the provider's redirect. */
async function landOnGateway(gw: TestClient, callback: URL): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await gw.fetch(callback);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The gateway against a real OpenID Provider: `oidc-provider` on loopback (src/demo/oidc-server.ts),
 * declared through PROVIDERS_FILE by its issuer alone, a user signing in and consenting through its
 * pages over HTTP. The token endpoint is reached through a recording proxy, since the gateway never
 * shows the tokens it holds; the proxy also plays the attacker who swaps ID tokens.
 */
describe('a generic OIDC provider: the gateway against oidc-provider', () => {
  const user = oidcUser();
  let op: RunningOidcServer;
  let shortLived: RunningOidcServer;
  let hostile: RunningOidcServer;
  let metadata: ProviderMetadata;
  let shortMetadata: ProviderMetadata;
  let hostileMetadata: ProviderMetadata;
  let gatewayClient: OidcClientConfig;
  let shortClient: OidcClientConfig;
  let hostileClient: OidcClientConfig;
  let otherApp: OidcClientConfig;
  let tokens: TokenProxy;
  let shortTokens: TokenProxy;
  let dir: string | undefined;
  let gw: TestGateway;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    gatewayClient = { clientId: 'oauth-gateway', clientSecret: secret(), redirectUris: [`${publicUrl}/callback/local-oidc`] };
    shortClient = { clientId: 'oauth-gateway', clientSecret: secret(), redirectUris: [`${publicUrl}/callback/short-oidc`] };
    // Another issuer that knows the gateway's client id and redirect URI (both public).
    hostileClient = { ...gatewayClient, clientSecret: secret() };
    otherApp = { clientId: 'other-app', clientSecret: secret(), redirectUris: ['http://127.0.0.1:9/other-app/callback'] };
    [op, shortLived, hostile] = await Promise.all([
      startOidcServer({ clients: [gatewayClient, otherApp] }),
      startOidcServer({ clients: [shortClient], accessTokenTtlSeconds: 2 }),
      startOidcServer({ clients: [hostileClient] }),
    ]);
    [metadata, shortMetadata, hostileMetadata] = await Promise.all([op, shortLived, hostile].map((server) => discover(server.issuer)));
    [tokens, shortTokens] = await Promise.all([startTokenProxy(metadata.token_endpoint), startTokenProxy(shortMetadata.token_endpoint)]);

    dir = await mkdtemp(join(tmpdir(), 'gateway-oidc-'));
    const providersFile = join(dir, 'providers.json');
    await writeFile(
      providersFile,
      JSON.stringify([
        { id: 'local-oidc', name: 'Local OIDC', issuer: op.issuer },
        { id: 'short-oidc', name: 'Short-lived OIDC', issuer: shortLived.issuer },
      ]),
    );
    gw = await startTestGateway({
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      PROVIDERS_FILE: providersFile,
      LOCAL_OIDC_CLIENT_ID: gatewayClient.clientId,
      LOCAL_OIDC_CLIENT_SECRET: gatewayClient.clientSecret,
      LOCAL_OIDC_TOKEN_URL: tokens.url,
      SHORT_OIDC_CLIENT_ID: shortClient.clientId,
      SHORT_OIDC_CLIENT_SECRET: shortClient.clientSecret,
      SHORT_OIDC_TOKEN_URL: shortTokens.url,
      // Refresh once the access token has expired rather than a minute before, so expiry is observable.
      REFRESH_MARGIN_SECONDS: '0',
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([op, shortLived, hostile, tokens, shortTokens].map((server) => server?.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('the demo provider', () => {
    it('advertises the code flow with S256 PKCE, RFC 9207 iss, revocation and introspection', () => {
      expect(metadata).toMatchObject({
        issuer: op.issuer,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        revocation_endpoint: `${op.issuer}/token/revocation`,
        introspection_endpoint: `${op.issuer}/token/introspection`,
        userinfo_endpoint: `${op.issuer}/me`,
      });
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'offline_access']));
      expect(metadata.claims_supported).toEqual(
        expect.arrayContaining(['sub', 'email', 'email_verified', 'name', 'preferred_username', 'picture']),
      );
      expect(metadata.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    });

    it('refuses an authorization request without S256 PKCE, even from a confidential client', async () => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'local-oidc' });
      const withoutPkce = new URL(startAuth.authorizationUrl);
      withoutPkce.searchParams.delete('code_challenge');
      withoutPkce.searchParams.delete('code_challenge_method');
      const plain = new URL(startAuth.authorizationUrl);
      plain.searchParams.set('code_challenge_method', 'plain');
      for (const url of [withoutPkce, plain]) {
        const callback = await user.authorize(url.toString());
        expect(callback.searchParams.get('error')).toBe('invalid_request');
        expect(callback.searchParams.get('error_description')).toMatch(/PKCE|code_challenge/);
        expect(callback.searchParams.get('code')).toBeNull();
      }
    });

    it('signs in its one user whatever the login name, with a refresh token even without offline_access', async () => {
      const issued = await signInAs(metadata, otherApp, { scope: 'openid email profile', login: 'mallory' });
      expect(issued.refresh_token).toEqual(expect.any(String));
      expect(decodeJwt(issued.id_token!)).toMatchObject({ iss: op.issuer, aud: 'other-app', sub: DEMO_USER.sub });
      const userinfo = await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${issued.access_token}` } });
      expect(await userinfo.json()).toEqual({ ...DEMO_USER });
    });
  });

  it('lists Local OIDC as a configured OIDC provider whose endpoints come from discovery', async () => {
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.find((p) => p.id === 'local-oidc')).toMatchObject({
      name: 'Local OIDC',
      protocol: 'OIDC',
      configured: true,
      defaultScopes: ['openid', 'email', 'profile'],
      supportsRefresh: true,
    });
    const { startAuth } = await gw.request(StartAuthDocument, { provider: 'local-oidc' });
    const url = new URL(startAuth.authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(metadata.authorization_endpoint);
    const calls = gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'upstream call');
    expect(calls).toContainEqual(
      expect.objectContaining({ provider: 'local-oidc', method: 'GET', url: `${op.issuer}/.well-known/openid-configuration`, status: 200 }),
    );
  });

  it('connects through login and consent, then reads the demo user from the ID token and UserInfo', async () => {
    const { startAuth, callback, code, state } = await authorizeAt(gw, user, 'local-oidc');
    const request = new URL(startAuth.authorizationUrl).searchParams;
    expect(Object.fromEntries(request)).toMatchObject({
      response_type: 'code',
      client_id: gatewayClient.clientId,
      redirect_uri: gatewayClient.redirectUris[0],
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(request.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // RFC 9207: the provider names itself on the redirect.
    expect(`${callback.origin}${callback.pathname}`).toBe(gatewayClient.redirectUris[0]);
    expect(state).toBe(startAuth.state);
    expect(code).toEqual(expect.any(String));
    expect(callback.searchParams.get('iss')).toBe(op.issuer);

    const { completeAuth } = await gw.request(CompleteAuthDocument, { provider: 'local-oidc', code, state });
    expect(completeAuth.provider).toBe('local-oidc');
    expect([...completeAuth.scopes].sort()).toEqual(['email', 'openid', 'profile']);
    expect(new Date(completeAuth.accessTokenExpiresAt!).getTime() - Date.now()).toBeGreaterThan(3500_000);

    const exchange = tokens.exchanges.at(-1)!;
    expect(exchange).toMatchObject({ grantType: 'authorization_code', status: 200 });
    expect(exchange.authorization).toMatch(/^Basic /);
    expect(exchange.request.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(exchange.request.has('client_secret')).toBe(false);
    // Issued without offline_access: the demo provider gives its confidential clients refresh tokens.
    expect(exchange.response.refresh_token).toEqual(expect.any(String));

    const { profile } = await gw.request(ProfileDocument, { provider: 'local-oidc', sessionId: completeAuth.sessionId });
    expect(profile).toMatchObject({
      provider: 'local-oidc',
      id: DEMO_USER.sub,
      displayName: DEMO_USER.name,
      username: DEMO_USER.preferred_username,
      email: DEMO_USER.email,
      emailVerified: true,
      avatarUrl: null,
    });
    expect(profile.raw).toMatchObject({ sub: DEMO_USER.sub, email: DEMO_USER.email });
    expect(profile.raw).not.toHaveProperty('nonce');
  });

  it('completes on the gateway callback route and answers JSON', async () => {
    const { callback } = await authorizeAt(gw, user, 'local-oidc');
    const landed = await landOnGateway(gw, callback);
    expect(landed).toMatchObject({
      status: 200,
      body: { provider: 'local-oidc', sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    });
    const sessionId = landed.body.sessionId as string;
    const { session } = await gw.request(SessionDocument, { sessionId });
    expect(session.connections.map((c) => c.provider)).toEqual(['local-oidc']);
    const { profile } = await gw.request(ProfileDocument, { provider: 'local-oidc', sessionId });
    expect(profile.id).toBe(DEMO_USER.sub);
  });

  it('refreshes an expired access token, and each rotated refresh token replaces the last', async () => {
    const connected = await connect(gw, user, 'short-oidc');
    const sessionId = connected.sessionId;
    const refreshes = () => shortTokens.exchanges.filter((e) => e.grantType === 'refresh_token');
    const untilExpired = async () => {
      const { session } = await gw.request(SessionDocument, { sessionId });
      await sleep(Math.max(0, new Date(session.connections[0]!.accessTokenExpiresAt!).getTime() - Date.now()) + 50);
    };

    await gw.request(ProfileDocument, { provider: 'short-oidc', sessionId });
    expect(refreshes()).toHaveLength(0);

    let previous = shortTokens.responses('authorization_code').at(-1)!.refresh_token as string;
    for (const round of [1, 2]) {
      await untilExpired();
      const { profile } = await gw.request(ProfileDocument, { provider: 'short-oidc', sessionId });
      expect(profile.id).toBe(DEMO_USER.sub);
      expect(refreshes()).toHaveLength(round);
      const refresh = refreshes().at(-1)!;
      expect(refresh.status).toBe(200);
      // The gateway kept the rotated token of the previous round, and the provider rotated it again.
      expect(refresh.request.get('refresh_token')).toBe(previous);
      const rotated = refresh.response.refresh_token as string;
      expect(rotated).toEqual(expect.any(String));
      expect(rotated).not.toBe(previous);
      expect(await introspect(shortMetadata, shortClient, previous)).toEqual({ active: false });
      expect(await introspect(shortMetadata, shortClient, rotated)).toMatchObject({ active: true, client_id: shortClient.clientId });
      previous = rotated;
    }
  });

  it('disconnect revokes the grant at the provider (RFC 7009), then forgets the connection', async () => {
    const connected = await connect(gw, user, 'local-oidc');
    const issued = tokens.responses('authorization_code').at(-1)!;
    expect(await introspect(metadata, gatewayClient, issued.refresh_token as string)).toMatchObject({ active: true });

    const { disconnect } = await gw.request(DisconnectDocument, { provider: 'local-oidc', sessionId: connected.sessionId });
    expect(disconnect).toBe(true);
    expect(await gw.failure(ProfileDocument, { provider: 'local-oidc', sessionId: connected.sessionId })).toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    expect(await introspect(metadata, gatewayClient, issued.refresh_token as string)).toEqual({ active: false });
    expect(await introspect(metadata, gatewayClient, issued.access_token as string)).toEqual({ active: false });
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.find((p) => p.id === 'local-oidc')?.supportsRevocation).toBe(true);
  });

  it('endSession revokes every connection at its provider and forgets the session', async () => {
    const connected = await connect(gw, user, 'local-oidc');
    const issued = tokens.responses('authorization_code').at(-1)!;
    const { endSession } = await gw.request(EndSessionDocument, { sessionId: connected.sessionId });
    expect(endSession).toBe(true);
    expect(await gw.failure(SessionDocument, { sessionId: connected.sessionId })).toMatchObject({ status: 401, code: 'SESSION_NOT_FOUND' });
    expect(await introspect(metadata, gatewayClient, issued.refresh_token as string)).toEqual({ active: false });
  });

  it.each(['consent', 'login'] as const)(
    'Cancel at the %s page is ACCESS_DENIED on the gateway callback, and burns the state',
    async (page) => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'local-oidc' });
      const callback = await user.authorize(startAuth.authorizationUrl, { deny: page });
      expect(Object.fromEntries(callback.searchParams)).toMatchObject({ error: 'access_denied', state: startAuth.state, iss: op.issuer });
      expect(await landOnGateway(gw, callback)).toMatchObject({ status: 400, body: { error: 'ACCESS_DENIED', provider: 'local-oidc' } });
      const replay = await gw.failure(CompleteAuthDocument, { provider: 'local-oidc', code: 'any-code', state: startAuth.state });
      expect(replay.code).toBe('INVALID_STATE');
    },
  );

  describe('mix-up and token substitution', () => {
    it('a callback whose iss names another issuer is INVALID_STATE, and its code is never exchanged', async () => {
      const { callback, code, state } = await authorizeAt(gw, user, 'local-oidc');
      const exchanges = tokens.exchanges.length;
      callback.searchParams.set('iss', hostile.issuer);
      expect(await landOnGateway(gw, callback)).toMatchObject({ status: 400, body: { error: 'INVALID_STATE' } });
      expect(tokens.exchanges).toHaveLength(exchanges);
      // The state was burned with the response: the genuine code cannot be used with it either.
      expect((await gw.failure(CompleteAuthDocument, { provider: 'local-oidc', code, state })).code).toBe('INVALID_STATE');
      expect(tokens.exchanges).toHaveLength(exchanges);
    });

    it('a callback without iss from a provider that advertises it is INVALID_STATE (RFC 9207 §2.4)', async () => {
      const { callback } = await authorizeAt(gw, user, 'local-oidc');
      const exchanges = tokens.exchanges.length;
      callback.searchParams.delete('iss');
      expect(await landOnGateway(gw, callback)).toMatchObject({ status: 400, body: { error: 'INVALID_STATE' } });
      expect(tokens.exchanges).toHaveLength(exchanges);
    });

    /** Starts a flow at the gateway, lets `forge` mint an ID token with its nonce, swaps it in, and completes. */
    async function completeWithSwappedIdToken(forge: (nonce: string) => Promise<string>) {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'local-oidc' });
      const nonce = new URL(startAuth.authorizationUrl).searchParams.get('nonce')!;
      const forged = await forge(nonce);
      tokens.replaceNextIdToken(forged);
      const callback = await user.authorize(startAuth.authorizationUrl);
      const failure = await gw.failure(CompleteAuthDocument, {
        provider: 'local-oidc',
        code: callback.searchParams.get('code')!,
        state: callback.searchParams.get('state')!,
      });
      expect(tokens.exchanges.at(-1)!.response.id_token).toBe(forged);
      return { failure, claims: decodeJwt(forged), nonce };
    }

    it('an ID token minted by another issuer is INVALID_ID_TOKEN', async () => {
      const { failure, claims, nonce } = await completeWithSwappedIdToken(
        async (n) => (await signInAs(hostileMetadata, hostileClient, { nonce: n })).id_token!,
      );
      // Right audience and nonce; only the issuer (and so its signing key) is wrong.
      expect(claims).toMatchObject({ iss: hostile.issuer, aud: gatewayClient.clientId, nonce });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_ID_TOKEN', extensions: { provider: 'local-oidc' } });
      expect(failure.message).toMatch(/unknown key/);
    });

    it('an ID token the provider issued to another client (wrong aud) is INVALID_ID_TOKEN', async () => {
      const { failure, claims, nonce } = await completeWithSwappedIdToken(
        async (n) => (await signInAs(metadata, otherApp, { nonce: n })).id_token!,
      );
      expect(claims).toMatchObject({ iss: op.issuer, aud: 'other-app', nonce });
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_ID_TOKEN', extensions: { provider: 'local-oidc' } });
      expect(failure.message).toMatch(/aud/);
    });

    it('an ID token replayed from an earlier sign-in (wrong nonce) is INVALID_ID_TOKEN', async () => {
      await connect(gw, user, 'local-oidc');
      const earlier = tokens.responses('authorization_code').at(-1)!.id_token as string;
      const { failure, claims, nonce } = await completeWithSwappedIdToken(async () => earlier);
      expect(claims).toMatchObject({ iss: op.issuer, aud: gatewayClient.clientId });
      expect(claims.nonce).not.toBe(nonce);
      expect(failure).toMatchObject({ status: 400, code: 'INVALID_ID_TOKEN', extensions: { provider: 'local-oidc' } });
      expect(failure.message).toMatch(/nonce/);
    });
  });
});
