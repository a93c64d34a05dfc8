import { expect } from '@jest/globals';
import { startFakeLinkedin } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'linkedin',
  start: () => startFakeLinkedin(),
  refresh: 'none',
  revocation: false,
  clientAuth: {
    accepts: ['client_secret_post'],
    refusal: { status: 400, body: { error: 'invalid_request', error_description: 'A required parameter "client_id" is missing' } },
  },
  profileEndpoint: 'userinfo',
  authorizationRequest: (url) => expect(url.pathname).toBe('/oauth/v2/authorization'),
  profile: (profile) => {
    expect(profile).toMatchObject({ id: '782bbtaQ', displayName: 'John Doe', username: null, email: 'doe@email.com', emailVerified: true });
    expect(profile.raw.locale).toEqual({ country: 'US', language: 'en' });
    expect(profile.profileUrl).toBeNull();
  },
  errorShapes: [
    {
      name: "LinkedIn's REST 429",
      step: 'profile',
      endpoint: 'userinfo',
      failure: {
        status: 429,
        body: { status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'Resource level throttle limit reached' },
      },
      code: 'PROVIDER_RATE_LIMITED',
    },
  ],
});
