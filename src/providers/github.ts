import type { ProviderDefinition } from './types.js';

interface GithubUser {
  id: number;
  login: string;
  name?: string | null;
  email?: string | null;
  avatar_url?: string;
  html_url?: string;
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub OAuth apps. The token endpoint answers errors inside HTTP 200 (handled by the flow, which
 * reads `error` whatever the status); the callback carries `iss` (RFC 9207); the API needs a
 * User-Agent; `email` is null unless public, so the primary verified address comes from /user/emails.
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 */
export const github: ProviderDefinition = {
  id: 'github',
  name: 'GitHub',
  protocol: 'OAUTH2',
  defaultScopes: ['read:user', 'user:email'],
  clientAuth: 'client_secret_post',
  authorizationUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  apiUrl: 'https://api.github.com',
  issuer: 'https://github.com/login/oauth',
  apiHeaders: {
    accept: 'application/vnd.github+json',
    'user-agent': 'oauth-graphql-gateway',
    'x-github-api-version': '2022-11-28',
  },
  // Expiring user tokens, when the app enables them, come with a refresh token.
  supportsRefresh: true,
  // Read-only: the user, repositories (GitHub's next links may name /repositories/{id}/...),
  // organizations, search and the rate limit. GitHub Apps' installation tokens are JWT-based, not
  // a client-credentials grant, so there is no app list.
  proxy: {
    allow: [
      'GET /user',
      'GET /user/**',
      'GET /users/**',
      'GET /repos/**',
      'GET /repositories/**',
      'GET /orgs/**',
      'GET /search/**',
      'GET /rate_limit',
    ],
  },

  async fetchProfile(ctx) {
    const user = ctx.json<GithubUser & Record<string, unknown>>(await ctx.api('/user'));
    let email = user.email ?? null;
    let emailVerified: boolean | null = null;
    if (!email) {
      const emails = await ctx.api('/user/emails');
      // Without the user:email scope GitHub answers 404: the profile is still served, without e-mail.
      if (emails.status === 200) {
        const primary = ctx.json<GithubEmail[]>(emails).find((e) => e.primary && e.verified);
        email = primary?.email ?? null;
        emailVerified = primary ? true : null;
      }
    }
    return {
      provider: ctx.providerId,
      id: String(user.id),
      displayName: user.name ?? null,
      username: user.login,
      email,
      emailVerified,
      avatarUrl: user.avatar_url ?? null,
      profileUrl: user.html_url ?? null,
      raw: user,
    };
  },

  /** Deletes the whole grant: https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization */
  async revoke(ctx) {
    const basic = Buffer.from(`${ctx.clientId}:${ctx.clientSecret}`).toString('base64');
    const response = await ctx.api(`/applications/${encodeURIComponent(ctx.clientId)}/grant`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: ctx.accessToken }),
    });
    if (response.status !== 204 && response.status !== 404) ctx.json(response);
  },
};
