import { expect } from '@jest/globals';
import { startFakeGitlab } from '../../fakes/index.js';
import { describeProvider, tokenParams } from './provider.suite.js';

describeProvider({
  provider: 'gitlab',
  // A self-managed instance under a relative root: the issuer is the instance URL, path included.
  start: () => startFakeGitlab({ root: '/gitlab' }),
  refresh: 'rotating',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic', 'client_secret_post'], refusal: { status: 401, body: { error: 'invalid_client' } } },
  profileEndpoint: 'userinfo',
  authorizationRequest: (url, fake) => {
    expect(url.pathname).toBe('/gitlab/oauth/authorize');
    expect(url.searchParams.get('scope')).toBe('openid profile email read_user');
    expect(url.origin).toBe(fake.url);
  },
  tokenRequest: (request) => expect(tokenParams(request).get('redirect_uri')).toMatch(/\/callback\/gitlab$/),
  profile: (profile) => {
    expect(profile).toMatchObject({
      id: '4711',
      displayName: 'Jane Doe',
      username: 'jdoe',
      email: 'jane@example.com',
      emailVerified: true,
    });
    expect(profile).toMatchObject({ profileUrl: 'https://gitlab.example.com/jdoe', avatarUrl: expect.stringContaining('/avatar/4711/') });
  },
  errorShapes: [
    {
      name: "GitLab's 429 with RateLimit headers",
      step: 'profile',
      endpoint: 'userinfo',
      failure: { status: 429, body: 'Retry later', headers: { 'retry-after': '60', 'ratelimit-remaining': '0' } },
      code: 'PROVIDER_RATE_LIMITED',
    },
  ],
});
