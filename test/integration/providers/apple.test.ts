import { expect, jest } from '@jest/globals';
import { startFakeApple } from '../../fakes/index.js';
import { describeProvider, tokenParams } from './provider.suite.js';

// Apple has no user API, so nothing upstream ever says an access token expired: it expires by time
// (one hour). When the suite expires tokens, this adapter also moves the in-process clock past that hour.
let skewMs = 0;
const realNow = Date.now.bind(Date);
jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs);

describeProvider({
  provider: 'apple',
  start: async () => {
    const fake = await startFakeApple();
    const expire = fake.expireAccessTokens.bind(fake);
    fake.expireAccessTokens = () => {
      expire();
      skewMs += 3601_000;
    };
    return fake;
  },
  refresh: 'kept',
  revocation: true,
  clientAuth: { accepts: ['client_secret_post'], refusal: { status: 400, body: { error: 'invalid_client' } } },
  authorizationRequest: (url) => {
    expect(url.searchParams.get('response_mode')).toBe('form_post');
    expect(url.searchParams.get('scope')).toBe('name email');
  },
  tokenRequest: (request) => {
    // The minted ES256 secret, never a configured string.
    expect(tokenParams(request).get('client_secret')).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  },
  profile: (profile) => {
    // email_verified arrives as the string "true"; the name never reaches the ID token.
    expect(profile).toMatchObject({ email: 'ada@privaterelay.appleid.com', emailVerified: true, displayName: null, avatarUrl: null });
    expect(profile.id).toBe('001234.6f1e0ad7c1e64b8e9d2f0a3b4c5d6e7f.1234');
  },
  errorShapes: [
    {
      name: "Apple's invalid_grant for a refresh token it no longer accepts",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 400, body: { error: 'invalid_grant', error_description: 'The token has expired or has been revoked.' } },
      code: 'REAUTH_REQUIRED',
    },
    {
      name: 'an HTML answer to a refresh',
      step: 'refresh',
      endpoint: 'token',
      failure: 'garbage',
      code: 'PROVIDER_ERROR',
    },
  ],
});
