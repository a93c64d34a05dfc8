import { expect } from '@jest/globals';
import { startFakeEntra } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'microsoft-entra-id',
  start: () => startFakeEntra(),
  // Entra returns a new refresh token each time (the old one stays valid there): the gateway keeps the new one.
  refresh: 'rotating',
  revocation: false,
  clientAuth: { accepts: ['client_secret_basic', 'client_secret_post'], refusal: { status: 401, body: { error: 'invalid_client' } } },
  profileEndpoint: 'userinfo',
  authorizationRequest: (url) => {
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));
    expect(url.searchParams.get('nonce')).toEqual(expect.any(String));
  },
  tokenRequest: (request) => expect(request.headers.origin).toBeUndefined(),
  profile: (profile, fake) => {
    // Entra's e-mail is never verified unless the optional xms_edov claim says so.
    expect(profile).toMatchObject({ displayName: 'Ada Lovelace', email: 'ada@contoso.com', emailVerified: false, avatarUrl: null });
    expect(profile.username).toBe('ada@contoso.onmicrosoft.com');
    expect(profile.raw).toMatchObject({ tid: fake.user.tid, oid: fake.user.oid });
  },
  errorShapes: [
    {
      name: "Entra's AADSTS700082 for an expired refresh token",
      step: 'refresh',
      endpoint: 'token',
      failure: {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'AADSTS700082: The refresh token has expired due to inactivity.',
          error_codes: [700082],
        },
      },
      code: 'REAUTH_REQUIRED',
    },
  ],
});
