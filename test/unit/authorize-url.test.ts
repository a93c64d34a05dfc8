import { describe, expect, it } from '@jest/globals';
import { withQuery } from '../../src/auth/flow.js';

/** What the authorization URL was built with before: URL + URLSearchParams. */
function reference(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  const query = new URLSearchParams(url.search);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  url.search = query.toString();
  return url.toString();
}

const params = {
  response_type: 'code',
  client_id: 'client id/with*odd~chars',
  redirect_uri: 'http://127.0.0.1:4000/callback/github?x=1&y=(2)',
  scope: "read:user user:email it's!",
  state: 'A'.repeat(43),
  prompt: undefined,
  safe: 'a*b-c._d_AZ09',
  nonce: 'ünïcödé ☃ 𝄞',
};

describe('the authorization URL', () => {
  it('serializes its parameters exactly as URLSearchParams does', () => {
    const base = 'https://github.com/login/oauth/authorize';
    expect(withQuery(base, params)).toBe(reference(base, params));
    expect(new URL(withQuery(base, params)).searchParams.get('scope')).toBe(params.scope);
    expect(new URL(withQuery(base, params)).searchParams.has('prompt')).toBe(false);
  });

  it("keeps a base URL's own query, replacing a parameter it also sets", () => {
    const base = 'https://login.example/authorize?audience=api&response_type=token';
    const url = new URL(withQuery(base, params));
    expect(url.searchParams.get('audience')).toBe('api');
    expect(url.searchParams.getAll('response_type')).toEqual(['code']);
    expect(withQuery(base, params)).toBe(reference(base, params));
  });

  it('places the query before a fragment', () => {
    const base = 'https://login.example/authorize#top';
    expect(withQuery(base, { state: 's' })).toBe('https://login.example/authorize?state=s#top');
  });
});
