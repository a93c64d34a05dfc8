import { expect } from '@jest/globals';
import { startFakeZoom } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'zoom',
  start: () => startFakeZoom(),
  refresh: 'rotating',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic'], refusal: { status: 400, body: { error: 'invalid_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { email: 'ada@example.com' },
  authorizationRequest: (url) => {
    // Scopes are set on the app; Zoom has refused a `scope` on this URL.
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  },
  profile: (profile) => {
    // `verified` (0/1) is not documented as the e-mail's: unknown, not true.
    expect(profile).toMatchObject({
      id: 'KDcuGIm1QgePTO8WbOqwIQ',
      displayName: 'Ada Lovelace',
      email: 'ada@example.com',
      emailVerified: null,
    });
    expect(profile.avatarUrl).toBe(profile.raw.pic_url);
  },
  errorShapes: [
    {
      name: "Zoom's {reason,error} for a dead refresh token",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 400, body: { reason: 'Invalid Token!', error: 'invalid_grant' } },
      code: 'REAUTH_REQUIRED',
    },
  ],
});
