import { expect } from '@jest/globals';
import { startFakeSlack } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'slack',
  start: () => startFakeSlack(),
  // With token rotation on: single-use xoxe- refresh tokens.
  refresh: 'rotating',
  revocation: true,
  clientAuth: {
    accepts: ['client_secret_basic', 'client_secret_post'],
    refusal: { status: 200, body: { ok: false, error: 'bad_client_secret' } },
  },
  profileEndpoint: 'userinfo',
  authorizationRequest: (url) => {
    // Slack puts nonce "" in the ID token when none is sent, which a strict check refuses.
    expect(url.searchParams.get('nonce')).toMatch(/^\S{43}$/);
    expect(url.searchParams.get('scope')).toBe('openid profile email');
  },
  profile: (profile) => {
    expect(profile).toMatchObject({
      id: 'U0R7JM',
      displayName: 'Ada Lovelace',
      email: 'ada@example.com',
      emailVerified: true,
      username: null,
    });
    expect(profile.raw['https://slack.com/team_id']).toBe('T0R7GR');
    expect(profile.raw).not.toHaveProperty('ok');
  },
  errorShapes: [
    {
      name: "Slack's ok:false inside HTTP 200 for a bad code",
      step: 'exchange',
      endpoint: 'token',
      failure: { status: 200, body: { ok: false, error: 'invalid_code' } },
      code: 'TOKEN_EXCHANGE_FAILED',
    },
    {
      name: "Slack's ok:false inside HTTP 200 without an error name",
      step: 'exchange',
      endpoint: 'token',
      failure: { status: 200, body: { ok: false } },
      code: 'TOKEN_EXCHANGE_FAILED',
    },
    {
      name: "Slack's ok:false inside HTTP 200 for a dead refresh token",
      step: 'refresh',
      endpoint: 'token',
      failure: { status: 200, body: { ok: false, error: 'invalid_refresh_token' } },
      code: 'REAUTH_REQUIRED',
    },
    {
      name: "Slack's userinfo answering ok:false with an unexpected error",
      step: 'profile',
      endpoint: 'userinfo',
      failure: { status: 200, body: { ok: false, error: 'internal_error' } },
      code: 'PROVIDER_ERROR',
    },
  ],
});
