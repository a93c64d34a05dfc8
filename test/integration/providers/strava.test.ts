import { expect } from '@jest/globals';
import { startFakeStrava } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'strava',
  start: () => startFakeStrava(),
  env: () => ({ STRAVA_SCOPES: 'read,activity:read' }),
  refresh: 'rotating',
  revocation: true,
  clientAuth: {
    accepts: ['client_secret_post'],
    refusal: { status: 400, body: { message: 'Bad Request', errors: [{ resource: 'Application', field: 'client_id', code: 'missing' }] } },
  },
  profileEndpoint: 'profile',
  malformedProfile: { firstname: 'No', lastname: 'Id' },
  authorizationRequest: (url) => expect(url.searchParams.get('scope')).toBe('read,activity:read'),
  profile: (profile) => {
    expect(profile).toMatchObject({
      id: '134815',
      displayName: 'Marianne Teutenberg',
      username: 'marianne_t',
      email: null,
      emailVerified: null,
    });
    expect(profile).toMatchObject({
      profileUrl: 'https://www.strava.com/athletes/134815',
      avatarUrl: expect.stringMatching(/^https:\/\/.*large\.jpg$/),
    });
  },
  errorShapes: [
    {
      name: "Strava's 429 with its CSV rate-limit headers",
      step: 'profile',
      endpoint: 'profile',
      failure: {
        status: 429,
        body: { message: 'Rate Limit Exceeded', errors: [{ resource: 'Application', field: 'rate limit', code: 'exceeded' }] },
        headers: { 'x-ratelimit-limit': '200,2000', 'x-ratelimit-usage': '200,300' },
      },
      code: 'PROVIDER_RATE_LIMITED',
    },
  ],
});
