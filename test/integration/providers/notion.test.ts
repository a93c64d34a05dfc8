import { expect } from '@jest/globals';
import { startFakeNotion } from '../../fakes/index.js';
import { describeProvider, tokenParams } from './provider.suite.js';

describeProvider({
  provider: 'notion',
  start: () => startFakeNotion(),
  refresh: 'rotating',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic'], refusal: { status: 401, body: { object: 'error', code: 'invalid_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { object: 'user', type: 'bot', bot: { owner: { type: 'workspace', workspace: true } } },
  authorizationRequest: (url) => {
    expect(url.searchParams.get('owner')).toBe('user');
    expect(url.searchParams.has('scope')).toBe(false);
  },
  tokenRequest: (request) => {
    expect(request.headers['content-type']).toBe('application/json');
    expect(tokenParams(request).get('grant_type')).toEqual(expect.any(String));
  },
  profile: (profile) => {
    // The person who connected (the bot's owner), not the integration's bot user.
    expect(profile).toMatchObject({ id: '6794760a-1f15-45cd-9c65-0dfe42f5135a', displayName: 'Ada Lovelace', email: 'ada@example.com' });
    expect(profile.emailVerified).toBeNull();
  },
  errorShapes: [
    {
      name: "Notion's {object:error, code:invalid_grant} for a dead refresh token",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 400, body: { object: 'error', status: 400, code: 'invalid_grant', message: 'Invalid refresh token.' } },
      code: 'REAUTH_REQUIRED',
    },
  ],
});
