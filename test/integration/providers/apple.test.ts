import { expect } from '@jest/globals';
import { startFakeApple } from '../../fakes/index.js';
import { describeProvider, tokenParams } from './provider.suite.js';

describeProvider({
  provider: 'apple',
  start: () => startFakeApple(),
  // Apple has no user API: with this margin every profile read renews the (1 h) token at Apple's
  // token endpoint, which is where a dead grant and a malformed answer show up.
  env: () => ({ REFRESH_MARGIN_SECONDS: '3600' }),
  refresh: 'kept',
  revocation: true,
  clientAuth: { accepts: ['client_secret_post'], refusal: { status: 400, body: { error: 'invalid_client' } } },
  profileEndpoint: 'token',
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
});
