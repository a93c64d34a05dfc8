import { createPrivateKey } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { Profile, ProviderDefinition } from './types.js';

/** The key is given as PEM, possibly on one line with `\n` escapes (as environments often hold it). */
const pem = (value: string) => value.replace(/\\n/g, '\n');

/**
 * Sign in with Apple (REST). The client secret is an ES256 JWT signed with the developer's `.p8` key
 * (header `kid`, claims `iss` = Team ID, `sub` = Services ID, `aud` = the issuer, at most six months),
 * minted for five minutes per request. Asking for `name` or `email` requires `response_mode=form_post`:
 * Apple's answer is a cross-site POST to the callback, so the flow-binding cookie needs
 * `COOKIE_SAMESITE=none`. There is no userinfo endpoint: the profile is the ID token. A refresh
 * returns no new refresh token.
 * https://developer.apple.com/documentation/accountorganizationaldatasharing/creating-a-client-secret
 * https://developer.apple.com/documentation/sign_in_with_apple/request_an_authorization_to_the_sign_in_with_apple_server
 */
export const apple: ProviderDefinition = {
  id: 'apple',
  name: 'Apple',
  protocol: 'OIDC',
  defaultScopes: ['name', 'email'],
  clientAuth: 'client_secret_post',
  issuer: 'https://appleid.apple.com',
  revocationUrl: 'https://appleid.apple.com/auth/revoke',
  responseMode: 'form_post',
  supportsRefresh: true,
  // Apple has no user API to call: the connection is for signing in.
  proxy: { allow: [] },
  mintedClientSecret: {
    variables: ['TEAM_ID', 'KEY_ID', 'PRIVATE_KEY'],
    problems(values) {
      const problems: string[] = [];
      if (!/^[A-Z0-9]{10}$/.test(values.TEAM_ID ?? '')) problems.push('TEAM_ID must be the 10-character Team ID');
      if (!/^[A-Z0-9]{10}$/.test(values.KEY_ID ?? '')) problems.push('KEY_ID must be the 10-character Key ID');
      try {
        const key = createPrivateKey(pem(values.PRIVATE_KEY ?? ''));
        if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
      } catch {
        problems.push('PRIVATE_KEY must be the P-256 key of the .p8 file, in PEM (newlines may be written \\n)');
      }
      return problems;
    },
    async mint({ clientId, audience, variables }) {
      const key = await importPKCS8(pem(variables.PRIVATE_KEY!), 'ES256');
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: variables.KEY_ID! })
        .setIssuer(variables.TEAM_ID!)
        .setSubject(clientId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    },
  },

  async fetchProfile(ctx): Promise<Profile> {
    const claims: Record<string, unknown> = { ...(ctx.idTokenClaims ?? {}) };
    for (const jwtOnly of ['iss', 'aud', 'exp', 'iat', 'nonce', 'nonce_supported', 'at_hash', 'c_hash', 'auth_time'])
      delete claims[jwtOnly];
    const email = typeof claims.email === 'string' ? claims.email : null;
    // `email_verified` comes as the string "true" or as a boolean (both are in the field).
    const verified = claims.email_verified;
    return {
      provider: ctx.providerId,
      id: String(claims.sub),
      // The name reaches only the first callback (its `user` field), never the ID token.
      displayName: null,
      username: null,
      email,
      emailVerified: email === null ? null : verified === true || verified === 'true',
      avatarUrl: null,
      profileUrl: null,
      raw: claims,
    };
  },
};
