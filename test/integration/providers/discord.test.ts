import { expect } from '@jest/globals';
import { startFakeDiscord } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'discord',
  start: () => startFakeDiscord(),
  refresh: 'rotating',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic', 'client_secret_post'], refusal: { status: 401, body: { error: 'invalid_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { username: 'nelly' },
  tokenRequest: (request) => expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded'),
  profile: (profile) => {
    expect(profile).toMatchObject({ id: '80351110224678912', username: 'nelly', displayName: 'Nelly', email: 'nelly@discord.com' });
    expect(profile.emailVerified).toBe(true);
    expect(profile.avatarUrl).toBe('https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png');
    expect(profile.profileUrl).toBeNull();
  },
  errorShapes: [
    {
      name: "Discord's 429 with retry_after",
      step: 'profile',
      endpoint: 'profile',
      failure: {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 1.5, global: false },
        headers: { 'retry-after': '2' },
      },
      code: 'PROVIDER_RATE_LIMITED',
    },
  ],
});
