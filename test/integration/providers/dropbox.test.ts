import { expect } from '@jest/globals';
import { startFakeDropbox } from '../../fakes/index.js';
import { describeProvider } from './provider.suite.js';

describeProvider({
  provider: 'dropbox',
  start: () => startFakeDropbox(),
  refresh: 'kept',
  revocation: true,
  clientAuth: { accepts: ['client_secret_basic', 'client_secret_post'], refusal: { status: 400, body: { error: 'invalid_client' } } },
  profileEndpoint: 'profile',
  malformedProfile: { name: { display_name: 'No Id' } },
  authorizationRequest: (url) => expect(url.searchParams.get('token_access_type')).toBe('offline'),
  profile: (profile) => {
    expect(profile).toMatchObject({ id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', displayName: 'Franz Ferdinand (Personal)' });
    expect(profile).toMatchObject({ email: 'franz@dropbox.com', emailVerified: true, username: null, profileUrl: null });
  },
  errorShapes: [
    {
      name: "Dropbox's plain-text 400 for a bad RPC call",
      step: 'profile',
      endpoint: 'profile',
      failure: { status: 400, body: 'Error in call to API function "users/get_current_account": Bad HTTP "Content-Type" header' },
      code: 'PROVIDER_ERROR',
    },
    {
      name: "Dropbox's 429",
      step: 'profile',
      endpoint: 'profile',
      failure: {
        status: 429,
        body: { error_summary: 'too_many_requests/..', error: { reason: { '.tag': 'too_many_requests' }, retry_after: 3 } },
        headers: { 'retry-after': '3' },
      },
      code: 'PROVIDER_RATE_LIMITED',
    },
  ],
});
