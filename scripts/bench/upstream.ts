import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A GitHub-like upstream for the benchmark: a precomputed ~1.6 kB `/user` document and ~13 kB
 * `/user/repos` list, keep-alive, an
 * optional added latency, and just enough of the authorization and token endpoints for whole flows.
 * Usage: node upstream.js <latencyMs> [conditional]; prints its port on stdout. With `conditional`
 * it answers 304 to a matching If-None-Match, as GitHub does.
 */
const latencyMs = Number(process.argv[2] ?? 0);
const conditional = process.argv[3] === 'conditional';
const user = {
  login: 'octocat',
  id: 583231,
  node_id: 'MDQ6VXNlcjU4MzIzMQ==',
  avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4',
  gravatar_id: '',
  url: 'https://api.github.com/users/octocat',
  html_url: 'https://github.com/octocat',
  followers_url: 'https://api.github.com/users/octocat/followers',
  following_url: 'https://api.github.com/users/octocat/following{/other_user}',
  gists_url: 'https://api.github.com/users/octocat/gists{/gist_id}',
  starred_url: 'https://api.github.com/users/octocat/starred{/owner}{/repo}',
  subscriptions_url: 'https://api.github.com/users/octocat/subscriptions',
  organizations_url: 'https://api.github.com/users/octocat/orgs',
  repos_url: 'https://api.github.com/users/octocat/repos',
  events_url: 'https://api.github.com/users/octocat/events{/privacy}',
  received_events_url: 'https://api.github.com/users/octocat/received_events',
  type: 'User',
  user_view_type: 'public',
  site_admin: false,
  name: 'The Octocat',
  company: '@github',
  blog: 'https://github.blog',
  location: 'San Francisco',
  email: 'octocat@github.com',
  hireable: null,
  bio: 'A cat that codes, and a benchmark fixture about the size of a real profile document.',
  twitter_username: null,
  public_repos: 8,
  public_gists: 8,
  followers: 17000,
  following: 9,
  created_at: '2011-01-25T18:44:36Z',
  updated_at: '2025-11-01T12:00:00Z',
  private_gists: 0,
  total_private_repos: 0,
  owned_private_repos: 0,
  disk_usage: 0,
  collaborators: 0,
  two_factor_authentication: true,
  plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
};
const body = Buffer.from(JSON.stringify(user));
// GET /api/v3/user/repos: 24 repositories of about 540 bytes each, a ~13 kB body as GitHub sends.
const repos = Buffer.from(
  JSON.stringify(
    Array.from({ length: 24 }, (_, i) => ({
      id: 1296269 + i,
      node_id: `MDEwOlJlcG9zaXRvcnkxMjk2Mj${i}`,
      name: `repository-${i}`,
      full_name: `octocat/repository-${i}`,
      private: i % 3 === 0,
      owner: { login: 'octocat', id: 583231, type: 'User' },
      html_url: `https://github.com/octocat/repository-${i}`,
      description: 'A benchmark fixture repository with a description of a realistic length.',
      fork: false,
      url: `https://api.github.com/repos/octocat/repository-${i}`,
      default_branch: 'main',
      stargazers_count: 80 * i,
      language: 'TypeScript',
      created_at: '2011-01-26T19:01:12Z',
      updated_at: '2025-11-01T12:00:00Z',
    })),
  ),
);
const repoHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(repos.length),
  etag: 'W/"bench-repos-1"',
  link: '<https://api.github.com/user/repos?page=2>; rel="next", <https://api.github.com/user/repos?page=4>; rel="last"',
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': '4999',
  'x-ratelimit-reset': '1800000000',
};
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
  etag: 'W/"bench-user-1"',
  'x-ratelimit-remaining': '4999',
};
let tokens = 0;
/** A token of GitHub's shape (gho_ and 36 characters): what the proxy's secret scan searches for. */
const githubToken = (n: number) => `gho_${createHash('sha256').update(String(n)).digest('base64url').slice(0, 36)}`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  const answer = () => {
    if (url.pathname === '/api/v3/user') {
      if (conditional && req.headers['if-none-match'] === headers.etag) res.writeHead(304, { etag: headers.etag }).end();
      else res.writeHead(200, headers).end(body);
    } else if (url.pathname === '/api/v3/user/repos') {
      res.writeHead(200, repoHeaders).end(repos);
    } else if (url.pathname === '/login/oauth/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', `code-${++tokens}`);
      back.searchParams.set('state', url.searchParams.get('state')!);
      res.writeHead(302, { location: back.toString() }).end();
    } else if (url.pathname === '/login/oauth/access_token') {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: githubToken(++tokens), token_type: 'bearer', scope: 'read:user,user:email' })),
      );
    } else {
      res.writeHead(404).end();
    }
  };
  if (latencyMs > 0) setTimeout(answer, latencyMs);
  else answer();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
