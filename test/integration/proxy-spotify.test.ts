import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { print } from 'graphql';
import { startFakeSpotify, type FakeSpotify } from '../fakes/index.js';
import { ProviderRequestDocument, type ProviderRequestInput } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';
import { failureWith, tokensSeenBy } from './proxy-helpers.js';

const KEY = 'test-gateway-key-0123456789abcdefghijklmnop';
const asGateway = { authorization: `Bearer ${KEY}` };
const QUERY = print(ProviderRequestDocument);

describe('providerRequest against Spotify: user pages and the app token', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  let sessionId: string;
  const answers: string[] = [];
  const appRead = async (request: ProviderRequestInput) => {
    const { providerRequest } = await gw.request(ProviderRequestDocument, { provider: 'spotify', request }, asGateway);
    answers.push(JSON.stringify(providerRequest));
    return providerRequest;
  };
  const appRefused = async (request: ProviderRequestInput, headers: Record<string, string> = asGateway, on = gw) => {
    const failure = await failureWith(on.url, QUERY, { provider: 'spotify', request }, headers);
    answers.push(JSON.stringify(failure));
    return failure;
  };
  const issued = () => spotify.tokenRequests('client_credentials').length;

  beforeAll(async () => {
    spotify = await startFakeSpotify({ appTokenSeconds: 2 });
    gw = await startTestGateway({ ...spotify.env(), SPOTIFY_APP_CREDENTIALS: 'true', GATEWAY_API_KEY: KEY });
    ({ sessionId } = await connect(gw, spotify, 'spotify'));
  });
  afterAll(async () => {
    await gw.close();
    await spotify.close();
  });

  it("pages a user's playlists with Spotify's `next`, under the /v1 base", async () => {
    const read = (request: ProviderRequestInput) =>
      gw
        .request(ProviderRequestDocument, { provider: 'spotify', sessionId, request })
        .then((r) => (answers.push(JSON.stringify(r)), r.providerRequest));
    const first = await read({ path: '/me/playlists' });
    expect(first).toMatchObject({ status: 200, credential: 'USER', json: { total: 45, offset: 0 } });
    expect(spotify.requests.at(-1)!.path).toBe('/v1/me/playlists');
    const second = await read({ path: '/me/playlists', after: first.pageInfo.nextCursor });
    expect(second.json).toMatchObject({ offset: 20 });
    const third = await read({ path: '/me/playlists', after: second.pageInfo.nextCursor });
    expect((third.json as { items: unknown[] }).items).toHaveLength(5);
    expect(third.pageInfo).toEqual({ hasNextPage: false, nextCursor: null });
    const etag = third.headers.find((h) => h.name === 'etag')!.value;
    const again = await read({
      path: '/me/playlists',
      after: second.pageInfo.nextCursor,
      headers: [{ name: 'if-none-match', value: etag }],
    });
    expect(again.notModified).toBe(true);
  });

  it('reads the catalogue with the app token: fetched once for 20 concurrent calls, with Basic client auth', async () => {
    const before = issued();
    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => appRead({ path: `/artists/artist${i}` })));
    expect(calls.every((c) => c.status === 200 && c.credential === 'APP')).toBe(true);
    expect(issued() - before).toBe(1);
    const request = spotify.tokenRequests('client_credentials').at(-1)!;
    expect(request.headers.authorization).toMatch(/^Basic /);
    expect(new URLSearchParams(request.body).get('client_secret')).toBeNull();
    // A nested paging object's `next` is a cursor too.
    const search = await appRead({
      path: '/search',
      query: [
        { name: 'q', value: 'abba' },
        { name: 'type', value: 'track' },
      ],
    });
    expect(search.pageInfo.hasNextPage).toBe(true);
  });

  it('the app token is fetched again shortly before it expires, and after the provider refuses it', async () => {
    await appRead({ path: '/browse/new-releases' });
    const before = issued();
    // Two seconds of life: renewed one second before expiry.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await appRead({ path: '/browse/new-releases' });
    expect(issued() - before).toBe(1);
    spotify.expireAppTokens();
    const answer = await appRead({ path: '/browse/new-releases' });
    expect(answer.status).toBe(200);
    expect(issued() - before).toBe(2);
  });

  it('app calls need the gateway key, compared whole', async () => {
    const before = spotify.requests.length;
    expect((await appRefused({ path: '/search' }, {})).code).toBe('PROXY_NOT_ALLOWED');
    expect((await appRefused({ path: '/search' }, { authorization: `Bearer ${KEY}x` })).code).toBe('PROXY_NOT_ALLOWED');
    expect((await appRefused({ path: '/search' }, { authorization: `Bearer ${KEY.slice(0, -1)}` })).code).toBe('PROXY_NOT_ALLOWED');
    expect((await appRefused({ path: '/search' }, { authorization: KEY })).code).toBe('PROXY_NOT_ALLOWED');
    expect(spotify.requests.length).toBe(before);
  });

  it('the app token reaches the app allow-list only: never /me', async () => {
    const before = spotify.requests.length;
    const failure = await appRefused({ path: '/me/playlists' });
    expect(failure.code).toBe('PROXY_NOT_ALLOWED');
    expect(failure.message).toContain('app allow-list');
    expect(spotify.requests.length).toBe(before);
  });

  it('without P_APP_CREDENTIALS or GATEWAY_API_KEY, calls without a session are refused', async () => {
    const plain = await startTestGateway({ ...spotify.env(), GATEWAY_API_KEY: KEY });
    const keyless = await startTestGateway({ ...spotify.env(), SPOTIFY_APP_CREDENTIALS: 'true' });
    try {
      const before = spotify.requests.length;
      expect((await appRefused({ path: '/search' }, asGateway, plain)).message).toContain('SPOTIFY_APP_CREDENTIALS');
      expect((await appRefused({ path: '/search' }, asGateway, keyless)).message).toContain('GATEWAY_API_KEY');
      expect(spotify.requests.length).toBe(before);
    } finally {
      await Promise.all([plain.close(), keyless.close()]);
    }
  });

  it('a refused client-credentials request is APP_CREDENTIALS_FAILED', async () => {
    const wrong = await startTestGateway({
      ...spotify.env(),
      SPOTIFY_CLIENT_SECRET: 'not-the-secret',
      SPOTIFY_APP_CREDENTIALS: 'true',
      GATEWAY_API_KEY: KEY,
    });
    try {
      const failure = await appRefused({ path: '/search' }, asGateway, wrong);
      expect(failure).toMatchObject({ code: 'APP_CREDENTIALS_FAILED', extensions: { http: { status: 502 }, provider: 'spotify' } });
      expect(failure.message).not.toContain('not-the-secret');
    } finally {
      await wrong.close();
    }
  });

  it('no answer and no log line carries a token or the client secret', () => {
    const secrets = [...tokensSeenBy(spotify), spotify.clientSecret];
    expect(secrets.length).toBeGreaterThan(3);
    const logs = gw.logs.join('\n');
    for (const secret of secrets) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
