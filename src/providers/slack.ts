import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { ProviderDefinition } from './types.js';

/** Slack Web API errors that mean the token is dead: https://docs.slack.dev/reference/methods/openid.connect.userInfo */
const DEAD_TOKEN = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/**
 * Sign in with Slack (OpenID Connect). Every Web API method, the token endpoint included, answers
 * HTTP 200 with `{ok:false,error}` on failure. The ID token carries `nonce: ""` when none was sent
 * (the gateway always sends one). Refresh exists only when the app turns token rotation on (12 h
 * access tokens, single-use `xoxe-` refresh tokens); otherwise tokens do not expire.
 * https://api.slack.com/authentication/sign-in-with-slack
 * https://api.slack.com/authentication/rotation
 */
export const slack: ProviderDefinition = {
  id: 'slack',
  name: 'Slack',
  protocol: 'OIDC',
  defaultScopes: ['openid', 'profile', 'email'],
  clientAuth: 'client_secret_post',
  issuer: 'https://slack.com',
  apiUrl: 'https://slack.com/api',
  tokenEndpoint: {
    // https://docs.slack.dev/reference/methods/openid.connect.token: errors are `ok:false` in HTTP 200.
    errorCode: (body) => (body.ok === false ? (typeof body.error === 'string' ? body.error : 'unknown_error') : undefined),
    deadGrantErrors: ['invalid_refresh_token', 'invalid_grant_type', 'token_revoked'],
  },
  supportsRefresh: true,
  proxy: { allow: ['GET /openid.connect.userInfo', 'GET /users.identity'] },

  async fetchProfile(ctx) {
    const body = ctx.json<Record<string, unknown>>(await ctx.api('/openid.connect.userInfo'));
    okOrThrow(body, ctx.providerId);
    // Userinfo repeats the ID token's claims; one about another user is not this connection's.
    if (typeof body.sub !== 'string' || (ctx.idTokenClaims?.sub !== undefined && body.sub !== ctx.idTokenClaims.sub)) {
      throw new AppError(ErrorCode.PROVIDER_ERROR, 'Slack answered outside its documented shape.', { provider: ctx.providerId });
    }
    const claims: Record<string, unknown> = { ...ctx.idTokenClaims, ...body };
    for (const jwtOnly of ['ok', 'iss', 'aud', 'azp', 'exp', 'iat', 'nonce', 'at_hash', 'auth_time', 'jti']) delete claims[jwtOnly];
    const str = (key: string) => (typeof claims[key] === 'string' && claims[key] !== '' ? (claims[key] as string) : null);
    return {
      provider: ctx.providerId,
      // `sub` is the user id (https://slack.com/user_id); the workspace is https://slack.com/team_id, in raw.
      id: body.sub,
      displayName: str('name'),
      username: null,
      email: str('email'),
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
      avatarUrl: str('picture') ?? str('https://slack.com/user_image_512'),
      profileUrl: null,
      raw: claims,
    };
  },

  /** https://docs.slack.dev/reference/methods/auth.revoke: revokes the token the call is made with. */
  async revoke(ctx) {
    okOrThrow(ctx.json<Record<string, unknown>>(await ctx.api('/auth.revoke')), ctx.providerId);
  },
};

/** Slack's answers are HTTP 200 either way: `ok` says which (https://docs.slack.dev/apis/web-api/#responses). */
function okOrThrow(body: Record<string, unknown>, provider: string): void {
  if (body.ok === true) return;
  const error = typeof body.error === 'string' ? body.error : '';
  if (body.ok === false && DEAD_TOKEN.has(error)) {
    throw new AppError(ErrorCode.REAUTH_REQUIRED, 'Slack no longer accepts this connection; connect again.', { provider });
  }
  throw new AppError(
    ErrorCode.PROVIDER_ERROR,
    body.ok === false ? 'Slack refused the request.' : 'Slack answered outside its documented shape.',
    {
      provider,
    },
  );
}
