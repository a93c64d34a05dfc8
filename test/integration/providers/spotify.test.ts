import { expect } from '@jest/globals';
import { startFakeSpotify } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'spotify',
  start: () => startFakeSpotify(),
  refresh: 'kept',
  revocation: false,
  clientAuth: { accepts: ['client_secret_basic'], refusal: { status: 400, body: { error: 'invalid_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { display_name: 'No Id' },
  authorizationRequest: (url) => expect(url.searchParams.get('code_challenge_method')).toBe('S256'),
  profile: (profile) => {
    expect(profile).toMatchObject({ id: 'smedjan', username: 'smedjan', email: 'ada@example.com', emailVerified: false });
    expect(profile.profileUrl).toBe('https://open.spotify.com/user/smedjan');
  },
});
