import { expect } from '@jest/globals';
import { startFakeReddit } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'reddit',
  start: () => startFakeReddit(),
  refresh: 'kept',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic'], refusal: { status: 401, body: { message: 'Unauthorized', error: 401 } } },
  profileEndpoint: 'profile',
  malformedProfile: { name: 'reddit_bot' },
  authorizationRequest: (url) => expect(url.searchParams.get('duration')).toBe('permanent'),
  tokenRequest: (request) => expect(request.headers['user-agent']).toMatch(/^\S+:\S+:\S+ \(by \/u\/\S+\)$/),
  profile: (profile) => {
    expect(profile).toMatchObject({ id: '1w72', username: 'reddit_bot', email: null, emailVerified: null });
    expect(profile.avatarUrl).toBe(
      'https://styles.redditmedia.com/t5_1/styles/profileIcon_abc.png?width=256&height=256&crop=256:256,smart&s=0f1e',
    );
    expect(profile.profileUrl).toBe('https://www.reddit.com/user/reddit_bot/');
  },
  errorShapes: [
    {
      name: "Reddit's invalid_grant inside HTTP 200",
      step: 'exchange',
      endpoint: 'token',
      failure: { status: 200, body: { error: 'invalid_grant' } },
      code: 'TOKEN_EXCHANGE_FAILED',
    },
    {
      name: "Reddit's dead refresh token inside HTTP 200",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 200, body: { error: 'invalid_grant' } },
      code: 'REAUTH_REQUIRED',
    },
  ],
});
