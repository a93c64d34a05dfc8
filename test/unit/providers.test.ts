import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { JWTPayload } from 'jose';
import { AppError } from '../../src/errors/app-error.js';
import { ErrorCode } from '../../src/errors/codes.js';
import { builtinProviders } from '../../src/providers/index.js';
import { apple } from '../../src/providers/apple.js';
import { github } from '../../src/providers/github.js';
import { microsoftEntraId } from '../../src/providers/microsoft-entra-id.js';
import { notion } from '../../src/providers/notion.js';
import { slack } from '../../src/providers/slack.js';
import { x } from '../../src/providers/x.js';
import { google } from '../../src/providers/google.js';
import { oidcProfile } from '../../src/providers/oidc.js';
import { spotify } from '../../src/providers/spotify.js';
import type { ProviderCallContext, ResolvedEndpoints } from '../../src/providers/types.js';
import { apiError, parseJson, type UpstreamResponse } from '../../src/upstream/upstream.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

function jsonResponse(text: string, status = 200): UpstreamResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, text };
}

const userinfoUrl = 'https://openidconnect.googleapis.com/v1/userinfo';

/**
 * A ProviderCallContext whose `api()` answers from `routes` (and records the calls), and whose `json()`
 * behaves like the one the sessions service builds: 2xx is parsed, anything else is the API error.
 */
function fakeContext(
  providerId: string,
  routes: Record<string, UpstreamResponse>,
  options: { idTokenClaims?: JWTPayload; endpoints?: Partial<ResolvedEndpoints> } = {},
): { ctx: ProviderCallContext; calls: string[] } {
  const calls: string[] = [];
  const ctx: ProviderCallContext = {
    providerId,
    clientId: 'client-id',
    clientSecret: 'client-secret',
    accessToken: 'access-token',
    idTokenClaims: options.idTokenClaims,
    endpoints: {
      authorizationUrl: 'https://auth.example/authorize',
      tokenUrl: 'https://auth.example/token',
      issOnCallback: false,
      issRequired: false,
      clientAuth: 'client_secret_post',
      ...options.endpoints,
    },
    api: async (pathOrUrl) => {
      calls.push(pathOrUrl);
      const response = routes[pathOrUrl];
      if (!response) throw new Error(`unexpected API call: ${pathOrUrl}`);
      return response;
    },
    json: <T>(response: UpstreamResponse): T => {
      if (response.status < 200 || response.status >= 300) throw apiError(response, providerId);
      return parseJson<T>(response, providerId) as T;
    },
  };
  return { ctx, calls };
}

describe('Spotify profile', () => {
  it('normalizes GET /me and keeps the document untouched in raw', async () => {
    const { ctx, calls } = fakeContext('spotify', { '/me': jsonResponse(fixture('spotify-me.json')) });
    const profile = await spotify.fetchProfile(ctx);
    expect(calls).toEqual(['/me']);
    expect(profile).toEqual({
      provider: 'spotify',
      id: 'wizzler',
      displayName: 'JM Wizzler',
      username: 'wizzler',
      email: 'email@example.com',
      // Spotify documents the address as unverified.
      emailVerified: false,
      avatarUrl: 'https://i.scdn.co/image/ab6775700000ee85a9f3e4e0c0b5e2d4c1f0a7b3',
      profileUrl: 'https://open.spotify.com/user/wizzler',
      raw: JSON.parse(fixture('spotify-me.json')),
    });
  });

  it('serves a profile without e-mail, image or display name', async () => {
    const me = { ...JSON.parse(fixture('spotify-me.json')), display_name: null, images: [] } as Record<string, unknown>;
    delete me.email;
    const { ctx } = fakeContext('spotify', { '/me': jsonResponse(JSON.stringify(me)) });
    expect(await spotify.fetchProfile(ctx)).toMatchObject({
      id: 'wizzler',
      displayName: null,
      email: null,
      emailVerified: null,
      avatarUrl: null,
    });
  });

  it('answers REAUTH_REQUIRED when Spotify refuses the token', async () => {
    const { ctx } = fakeContext('spotify', {
      '/me': jsonResponse('{"error":{"status":401,"message":"The access token expired"}}', 401),
    });
    await expect(spotify.fetchProfile(ctx)).rejects.toMatchObject({ code: ErrorCode.REAUTH_REQUIRED, provider: 'spotify' });
  });
});

describe('GitHub profile', () => {
  const emailsResponse = () => jsonResponse(fixture('github-emails.json'));

  it('normalizes GET /user, taking the primary verified address from /user/emails when email is null', async () => {
    const { ctx, calls } = fakeContext('github', { '/user': jsonResponse(fixture('github-user.json')), '/user/emails': emailsResponse() });
    const profile = await github.fetchProfile(ctx);
    expect(calls).toEqual(['/user', '/user/emails']);
    expect(profile).toEqual({
      provider: 'github',
      id: '583231',
      displayName: 'The Octocat',
      username: 'octocat',
      email: 'octocat@github.com',
      emailVerified: true,
      avatarUrl: 'https://avatars.githubusercontent.com/u/583231?v=4',
      profileUrl: 'https://github.com/octocat',
      raw: JSON.parse(fixture('github-user.json')),
    });
    expect(typeof profile.id).toBe('string');
  });

  it('uses the public address without asking /user/emails', async () => {
    const user = { ...JSON.parse(fixture('github-user.json')), email: 'octocat@github.com' };
    const { ctx, calls } = fakeContext('github', { '/user': jsonResponse(JSON.stringify(user)) });
    const profile = await github.fetchProfile(ctx);
    expect(calls).toEqual(['/user']);
    expect(profile.email).toBe('octocat@github.com');
    expect(profile.emailVerified).not.toBe(true);
  });

  it('still serves the profile, without e-mail, when /user/emails answers 404 (no user:email scope)', async () => {
    const { ctx } = fakeContext('github', {
      '/user': jsonResponse(fixture('github-user.json')),
      '/user/emails': jsonResponse('{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}', 404),
    });
    const profile = await github.fetchProfile(ctx);
    expect(profile).toMatchObject({ id: '583231', username: 'octocat', email: null });
    expect(profile.emailVerified).not.toBe(true);
  });

  it('leaves the e-mail empty when no address is both primary and verified', async () => {
    const emails = (JSON.parse(fixture('github-emails.json')) as Array<Record<string, unknown>>).map((e) => ({
      ...e,
      verified: e.primary ? false : e.verified,
    }));
    const { ctx } = fakeContext('github', {
      '/user': jsonResponse(fixture('github-user.json')),
      '/user/emails': jsonResponse(JSON.stringify(emails)),
    });
    const profile = await github.fetchProfile(ctx);
    expect(profile.email).toBeNull();
    expect(profile.emailVerified).not.toBe(true);
  });

  it('answers INSUFFICIENT_SCOPE when GitHub refuses /user with 403', async () => {
    const { ctx } = fakeContext('github', { '/user': jsonResponse('{"message":"Resource not accessible by integration"}', 403) });
    const error = await github.fetchProfile(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: ErrorCode.INSUFFICIENT_SCOPE, provider: 'github' });
  });
});

describe('OpenID Connect profile (Google)', () => {
  const claims = () => JSON.parse(fixture('google-id-token-claims.json')) as JWTPayload;

  it('merges the ID token claims with userinfo, with sub as id', async () => {
    const { ctx, calls } = fakeContext(
      'google',
      { [userinfoUrl]: jsonResponse(fixture('google-userinfo.json')) },
      { idTokenClaims: claims(), endpoints: { userinfoUrl } },
    );
    const profile = await google.fetchProfile(ctx);
    expect(calls).toEqual([userinfoUrl]);
    expect(profile).toEqual({
      provider: 'google',
      id: '10769150350006150715113082367',
      displayName: 'Jane Smith',
      username: null,
      email: 'jsmith@example.com',
      emailVerified: true,
      avatarUrl: 'https://lh3.googleusercontent.com/a/ACg8ocJ4dG7bT0Zf0a9mUqLhK3bqv0e5wZ8rY1xN2sP4=s96-c',
      profileUrl: null,
      raw: {
        sub: '10769150350006150715113082367',
        hd: 'example.com',
        email: 'jsmith@example.com',
        email_verified: true,
        name: 'Jane Smith',
        given_name: 'Jane',
        family_name: 'Smith',
        picture: 'https://lh3.googleusercontent.com/a/ACg8ocJ4dG7bT0Zf0a9mUqLhK3bqv0e5wZ8rY1xN2sP4=s96-c',
      },
    });
  });

  it('keeps JWT-only claims out of raw', async () => {
    const { ctx } = fakeContext(
      'google',
      { [userinfoUrl]: jsonResponse(fixture('google-userinfo.json')) },
      { idTokenClaims: claims(), endpoints: { userinfoUrl } },
    );
    const { raw } = await oidcProfile(ctx);
    for (const claim of ['iss', 'aud', 'azp', 'exp', 'iat', 'nonce', 'at_hash']) expect(raw).not.toHaveProperty(claim);
  });

  it('reports email_verified as given', async () => {
    const { ctx } = fakeContext('google', {}, { idTokenClaims: { ...claims(), email_verified: false } });
    expect((await oidcProfile(ctx)).emailVerified).toBe(false);
  });

  it('ignores a userinfo answer about another subject', async () => {
    const userinfo = {
      ...JSON.parse(fixture('google-userinfo.json')),
      sub: '99999999999999999999',
      name: 'Mallory',
      email: 'mallory@evil.example',
    };
    const { ctx } = fakeContext(
      'google',
      { [userinfoUrl]: jsonResponse(JSON.stringify(userinfo)) },
      { idTokenClaims: claims(), endpoints: { userinfoUrl } },
    );
    const profile = await oidcProfile(ctx);
    expect(profile).toMatchObject({ id: '10769150350006150715113082367', email: 'jsmith@example.com', displayName: null });
    expect(JSON.stringify(profile.raw)).not.toContain('Mallory');
    expect(JSON.stringify(profile.raw)).not.toContain('mallory@evil.example');
  });

  it('builds the profile from the claims alone when there is no userinfo endpoint', async () => {
    const { ctx, calls } = fakeContext('google', {}, { idTokenClaims: claims() });
    const profile = await oidcProfile(ctx);
    expect(calls).toEqual([]);
    expect(profile).toMatchObject({
      id: '10769150350006150715113082367',
      email: 'jsmith@example.com',
      emailVerified: true,
      displayName: null,
    });
  });

  it('answers REAUTH_REQUIRED when userinfo refuses the token', async () => {
    const { ctx } = fakeContext(
      'google',
      { [userinfoUrl]: jsonResponse('{"error":"invalid_token"}', 401) },
      { idTokenClaims: claims(), endpoints: { userinfoUrl } },
    );
    await expect(oidcProfile(ctx)).rejects.toMatchObject({ code: ErrorCode.REAUTH_REQUIRED });
  });
});

describe('built-in provider definitions', () => {
  it('are Spotify, GitHub, Google and the provider catalog', () => {
    expect(builtinProviders.map((p) => p.id)).toEqual([
      'spotify',
      'github',
      'google',
      'microsoft-entra-id',
      'gitlab',
      'discord',
      'slack',
      'x',
      'linkedin',
      'dropbox',
      'apple',
      'reddit',
      'zoom',
      'notion',
      'strava',
    ]);
  });

  // Zoom and Notion take no scopes: their permissions are set on the app (the URL then carries no `scope`).
  const SCOPELESS = ['zoom', 'notion'];
  it.each(builtinProviders.map((p) => [p.id, p] as const))('%s has a lowercase id, a name and default scopes', (id, definition) => {
    expect(definition.id).toMatch(/^[a-z0-9-]+$/);
    expect(definition.name.length).toBeGreaterThan(0);
    if (SCOPELESS.includes(id)) expect(definition.defaultScopes).toEqual([]);
    else expect(definition.defaultScopes.length).toBeGreaterThan(0);
    for (const scope of definition.defaultScopes) expect(scope).toMatch(/^\S+$/);
  });

  it('authenticate Spotify at the token endpoint with HTTP Basic', () => {
    expect(spotify.clientAuth).toBe('client_secret_basic');
  });

  it('use the documented endpoints', () => {
    expect(spotify).toMatchObject({
      authorizationUrl: 'https://accounts.spotify.com/authorize',
      tokenUrl: 'https://accounts.spotify.com/api/token',
      apiUrl: 'https://api.spotify.com/v1',
    });
    expect(github).toMatchObject({
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      apiUrl: 'https://api.github.com',
      issuer: 'https://github.com/login/oauth',
    });
    expect(github.apiHeaders?.['user-agent']).toBeTruthy();
    expect(google).toMatchObject({
      protocol: 'OIDC',
      issuer: 'https://accounts.google.com',
      defaultScopes: ['openid', 'email', 'profile'],
    });
    expect(google.authorizationParams).toMatchObject({ access_type: 'offline', prompt: 'consent' });
  });
});

describe('catalog provider profiles: a field the provider does not send is null', () => {
  const claims = (extra: Record<string, unknown>): JWTPayload => ({
    iss: 'https://issuer',
    aud: 'client-id',
    sub: 'subject-1',
    iat: 1,
    exp: 2,
    ...extra,
  });

  it('Apple reads email_verified as the string "true" or a boolean, and has no name, avatar or e-mail unless sent', async () => {
    for (const [value, expected] of [
      ['true', true],
      [true, true],
      ['false', false],
      [false, false],
    ] as const) {
      const { ctx } = fakeContext('apple', {}, { idTokenClaims: claims({ email: 'a@privaterelay.appleid.com', email_verified: value }) });
      expect((await apple.fetchProfile(ctx)).emailVerified).toBe(expected);
    }
    const { ctx, calls } = fakeContext('apple', {}, { idTokenClaims: claims({}) });
    expect(await apple.fetchProfile(ctx)).toMatchObject({
      id: 'subject-1',
      email: null,
      emailVerified: null,
      displayName: null,
      avatarUrl: null,
    });
    expect(calls).toEqual([]);
  });

  it('Entra reports its e-mail unverified unless xms_edov is true, and no e-mail as null', async () => {
    const profile = async (extra: Record<string, unknown>) =>
      microsoftEntraId.fetchProfile(fakeContext('microsoft-entra-id', {}, { idTokenClaims: claims(extra) }).ctx);
    expect((await profile({ email: 'a@contoso.com', email_verified: true })).emailVerified).toBe(false);
    expect((await profile({ email: 'a@contoso.com', xms_edov: true })).emailVerified).toBe(true);
    expect(await profile({})).toMatchObject({ email: null, emailVerified: null });
  });

  it('X serves no e-mail without confirmed_email, and refuses a document without data.id', async () => {
    const path = '/users/me?user.fields=profile_image_url,confirmed_email';
    const bare = fakeContext('x', { [path]: jsonResponse('{"data":{"id":"12","username":"ada"}}') }).ctx;
    expect(await x.fetchProfile(bare)).toMatchObject({ id: '12', email: null, emailVerified: null, displayName: null, avatarUrl: null });
    const broken = fakeContext('x', { [path]: jsonResponse('{"errors":[{"message":"nope"}]}') }).ctx;
    await expect(x.fetchProfile(broken)).rejects.toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'x' });
  });

  it('Notion maps the bot owner, and refuses a workspace-owned token that names no person', async () => {
    const owner = { type: 'user', user: { object: 'user', id: 'person-1', name: null, avatar_url: null, type: 'person', person: {} } };
    const me = (bot: unknown) => jsonResponse(JSON.stringify({ object: 'user', id: 'bot-1', type: 'bot', bot }));
    expect(await notion.fetchProfile(fakeContext('notion', { '/users/me': me({ owner }) }).ctx)).toMatchObject({
      id: 'person-1',
      email: null,
      emailVerified: null,
      displayName: null,
    });
    const workspace = fakeContext('notion', { '/users/me': me({ owner: { type: 'workspace', workspace: true } }) }).ctx;
    await expect(notion.fetchProfile(workspace)).rejects.toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'notion' });
  });

  it('Slack refuses a userinfo answer about another user than the ID token', async () => {
    const info = jsonResponse('{"ok":true,"sub":"U-OTHER","email":"mallory@evil.example"}');
    const { ctx } = fakeContext('slack', { '/openid.connect.userInfo': info }, { idTokenClaims: claims({ sub: 'U-ADA' }) });
    await expect(slack.fetchProfile(ctx)).rejects.toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'slack' });
  });

  it('Entra admits tenants by the configured endpoint: organizations refuses personal accounts, consumers admits only them', () => {
    const consumer = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const accept = microsoftEntraId.tenantIssuer!.acceptTenant;
    const at = (segment: string) => `https://login.microsoftonline.com/${segment}/v2.0`;
    expect([accept(consumer, at('common')), accept('72f988bf-86f1-41af-91ab-2d7cd011db47', at('common'))]).toEqual([true, true]);
    expect([accept(consumer, at('organizations')), accept('72f988bf-86f1-41af-91ab-2d7cd011db47', at('organizations'))]).toEqual([
      false,
      true,
    ]);
    expect([accept(consumer, at('consumers')), accept('72f988bf-86f1-41af-91ab-2d7cd011db47', at('consumers'))]).toEqual([true, false]);
  });
});
