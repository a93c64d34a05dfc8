import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGithub, startFakeSpotify, type FakeGithub, type FakeSpotify } from '../fakes/index.js';
import { ProfileDocument } from '../generated/graphql.js';
import { connect, startTestGateway, type TestGateway } from './harness.js';

describe('fewer upstream calls', () => {
  let github: FakeGithub;
  let spotify: FakeSpotify;
  let gw: TestGateway;
  beforeAll(async () => {
    [github, spotify] = await Promise.all([startFakeGithub(), startFakeSpotify()]);
    gw = await startTestGateway({ ...github.env(), ...spotify.env() });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([github.close(), spotify.close()]);
  });

  it('GitHub: a repeated read is a conditional request, answered 304 from the validated copy', async () => {
    const { sessionId } = await connect(gw, github, 'github');
    const first = await gw.request(ProfileDocument, { provider: 'github', sessionId });
    const userCalls = () => github.requests.filter((r) => r.path === '/api/v3/user');
    const before = userCalls().length;
    // Two API calls per profile (user, emails), and the budget is spent: only 304s can still answer.
    github.rateLimit(0);
    const second = await gw.request(ProfileDocument, { provider: 'github', sessionId });
    expect(second.profile).toEqual(first.profile);
    const conditional = userCalls().slice(before);
    expect(conditional).toHaveLength(1);
    expect(conditional[0]!.headers['if-none-match']).toMatch(/^W\/"/);
    github.rateLimit(5000);
  });

  it('GitHub: when the resource changed, the fresh 200 answer replaces the copy', async () => {
    // The fake builds /user from this object on every request: changing it is a rename upstream.
    const user: Record<string, unknown> = { name: 'The Octocat' };
    const renaming = await startFakeGithub({ user });
    const gw2 = await startTestGateway(renaming.env());
    try {
      const { sessionId } = await connect(gw2, renaming, 'github');
      expect((await gw2.request(ProfileDocument, { provider: 'github', sessionId })).profile.displayName).toBe('The Octocat');
      user.name = 'Mona Lisa Octocat';
      expect((await gw2.request(ProfileDocument, { provider: 'github', sessionId })).profile.displayName).toBe('Mona Lisa Octocat');
      const userCalls = renaming.requests.filter((r) => r.path === '/api/v3/user');
      expect(userCalls.at(-1)!.headers['if-none-match']).toBeDefined();
      // ...and the new copy is the one validated next time.
      expect((await gw2.request(ProfileDocument, { provider: 'github', sessionId })).profile.displayName).toBe('Mona Lisa Octocat');
    } finally {
      await gw2.close();
      await renaming.close();
    }
  });

  it("GitHub: one session's validated copy is never offered for another session's read", async () => {
    const first = await connect(gw, github, 'github');
    const second = await connect(gw, github, 'github');
    const userCalls = () => github.requests.filter((r) => r.path === '/api/v3/user');
    await gw.request(ProfileDocument, { provider: 'github', sessionId: first.sessionId });
    const before = userCalls().length;
    await gw.request(ProfileDocument, { provider: 'github', sessionId: second.sessionId });
    const calls = userCalls().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers['if-none-match']).toBeUndefined();
  });

  it('identical concurrent reads of one connection share one upstream call', async () => {
    const { sessionId } = await connect(gw, spotify, 'spotify');
    const before = spotify.count('/v1/me');
    spotify.failNext('profile', { delayMs: 200 });
    const reads = await Promise.all(Array.from({ length: 10 }, () => gw.request(ProfileDocument, { provider: 'spotify', sessionId })));
    expect(new Set(reads.map((r) => r.profile.id)).size).toBe(1);
    expect(spotify.count('/v1/me') - before).toBe(1);
  });
});
