import { expect } from '@jest/globals';
import { startFakeX } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'x',
  start: () => startFakeX(),
  refresh: 'rotating',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic'], refusal: { status: 401, body: { error: 'unauthorized_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { data: { name: 'No Id' } },
  authorizationRequest: (url) => {
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['offline.access', 'users.read']));
  },
  profile: (profile) => {
    expect(profile).toMatchObject({ id: '2244994945', username: 'ada_lovelace', email: 'ada@example.com', emailVerified: true });
    expect(profile.profileUrl).toBe('https://x.com/ada_lovelace');
    expect(profile.raw).toHaveProperty('data.id', '2244994945');
  },
  errorShapes: [
    {
      name: "X's invalid_request for a bad code",
      step: 'exchange',
      endpoint: 'token',
      failure: {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Value passed for the authorization code was invalid.' },
      },
      code: 'TOKEN_EXCHANGE_FAILED',
    },
    {
      name: "X's invalid_request for a dead refresh token",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 400, body: { error: 'invalid_request', error_description: 'Value passed for the token was invalid.' } },
      code: 'REAUTH_REQUIRED',
    },
  ],
});
