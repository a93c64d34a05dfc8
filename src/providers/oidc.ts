import type { Profile, ProviderCallContext } from './types.js';

/**
 * The profile of an OpenID Connect provider: the validated ID token's claims, completed by the
 * UserInfo endpoint when there is one (OIDC Core §5.3; its `sub` must equal the ID token's, §5.3.2).
 */
export async function oidcProfile(ctx: ProviderCallContext): Promise<Profile> {
  let claims: Record<string, unknown> = { ...(ctx.idTokenClaims ?? {}) };
  if (ctx.endpoints.userinfoUrl) {
    const userinfo = ctx.json<Record<string, unknown>>(await ctx.api(ctx.endpoints.userinfoUrl));
    if (claims.sub === undefined || userinfo.sub === claims.sub) claims = { ...claims, ...userinfo };
  }
  for (const jwtOnly of ['iss', 'aud', 'azp', 'exp', 'iat', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'jti', 'sid']) {
    delete claims[jwtOnly];
  }
  const str = (key: string) => (typeof claims[key] === 'string' ? (claims[key] as string) : null);
  return {
    provider: ctx.providerId,
    id: String(claims.sub),
    displayName: str('name'),
    username: str('preferred_username') ?? str('nickname'),
    email: str('email'),
    emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
    avatarUrl: str('picture'),
    profileUrl: str('profile'),
    raw: claims,
  };
}
