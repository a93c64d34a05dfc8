import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors/app-error.js';
import { discord } from '../../src/providers/discord.js';
import { dropbox } from '../../src/providers/dropbox.js';
import { reddit } from '../../src/providers/reddit.js';
import { strava } from '../../src/providers/strava.js';
import type { ProviderCallContext, ProviderDefinition } from '../../src/providers/types.js';
import { apiError, parseJson, type UpstreamResponse } from '../../src/upstream/upstream.js';

/** Maps `document` (the provider's answer to its profile call) through the definition's mapper. */
async function mapProfile(definition: ProviderDefinition, document: unknown, overrides: Partial<ProviderCallContext> = {}) {
  const response: UpstreamResponse = { status: 200, headers: { 'content-type': 'application/json' }, text: JSON.stringify(document) };
  const ctx: ProviderCallContext = {
    providerId: definition.id,
    clientId: 'client',
    clientSecret: 'secret',
    accessToken: 'token',
    endpoints: {
      authorizationUrl: 'https://a.example/',
      tokenUrl: 'https://t.example/',
      issOnCallback: false,
      issRequired: false,
      clientAuth: definition.clientAuth,
    },
    api: async () => response,
    json: <T>(r: UpstreamResponse): T => {
      if (r.status < 200 || r.status >= 300) throw apiError(r, definition.id);
      return parseJson<T>(r, definition.id);
    },
    ...overrides,
  };
  return definition.fetchProfile(ctx);
}

describe('Discord profile', () => {
  it("gives a migrated user without an avatar Discord's default avatar by (id >> 22) % 6", async () => {
    const profile = await mapProfile(discord, { id: '80351110224678912', username: 'nelly', discriminator: '0', avatar: null });
    expect(profile.avatarUrl).toBe(`https://cdn.discordapp.com/embed/avatars/${Number((80351110224678912n >> 22n) % 6n)}.png`);
    expect(profile.displayName).toBe('nelly');
  });

  it('uses discriminator % 5 for a legacy user, and .gif for an animated avatar', async () => {
    expect((await mapProfile(discord, { id: '1', username: 'old', discriminator: '1337', avatar: null })).avatarUrl).toBe(
      'https://cdn.discordapp.com/embed/avatars/2.png',
    );
    expect((await mapProfile(discord, { id: '1', username: 'anim', avatar: 'a_123' })).avatarUrl).toBe(
      'https://cdn.discordapp.com/avatars/1/a_123.gif',
    );
  });

  it('has no e-mail and no verification without the email scope, and unverified when verified is false', async () => {
    expect(await mapProfile(discord, { id: '1', username: 'u', email: null })).toMatchObject({ email: null, emailVerified: null });
    expect(await mapProfile(discord, { id: '1', username: 'u', email: 'u@example.com', verified: false })).toMatchObject({
      emailVerified: false,
    });
  });

  it('refuses a user object without an id as PROVIDER_ERROR', async () => {
    await expect(mapProfile(discord, { username: 'u' })).rejects.toMatchObject({ code: 'PROVIDER_ERROR', provider: 'discord' });
    await expect(mapProfile(discord, { username: 'u' })).rejects.toBeInstanceOf(AppError);
  });
});

describe('Dropbox profile', () => {
  it('reads the account with a bodiless POST, and keeps a missing photo null', async () => {
    const calls: Array<{ path: string; init?: unknown }> = [];
    const document = { account_id: 'dbid:x', name: { display_name: 'D' }, email: 'd@example.com', email_verified: false };
    const response: UpstreamResponse = { status: 200, headers: {}, text: JSON.stringify(document) };
    const profile = await mapProfile(dropbox, document, {
      api: async (path, init) => (calls.push({ path, init }), response),
    });
    expect(calls).toEqual([{ path: '/2/users/get_current_account', init: { method: 'POST' } }]);
    expect(profile).toMatchObject({ id: 'dbid:x', emailVerified: false, avatarUrl: null });
  });
});

describe('Strava', () => {
  it('maps a relative placeholder avatar to null and stringifies the integer id', async () => {
    const profile = await mapProfile(strava, { id: 42, firstname: 'A', lastname: null, profile: 'avatar/athlete/large.png' });
    expect(profile).toMatchObject({ id: '42', displayName: 'A', avatarUrl: null, email: null, emailVerified: null });
  });

  it('reads its error shape: a refused code or refresh token is invalid_grant, anything else is left unread', () => {
    const body = (field: string) => ({ message: 'Bad Request', errors: [{ resource: 'RefreshToken', field, code: 'invalid' }] });
    expect(strava.tokenEndpoint!.errorCode!(body('refresh_token'), 400)).toBe('invalid_grant');
    expect(strava.tokenEndpoint!.errorCode!(body('code'), 400)).toBe('invalid_grant');
    expect(strava.tokenEndpoint!.errorCode!(body('client_id'), 400)).toBe('invalid_client');
    expect(strava.tokenEndpoint!.errorCode!({ message: 'Server Error' }, 500)).toBeUndefined();
  });
});

describe('Reddit profile', () => {
  it('gives no e-mail even when has_verified_email is true', async () => {
    const profile = await mapProfile(reddit, { id: 'abc', name: 'n', has_verified_email: true, icon_img: '' });
    expect(profile).toMatchObject({ email: null, emailVerified: null, avatarUrl: null, profileUrl: 'https://www.reddit.com/user/n/' });
  });
});
