import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { absoluteUrl, accountId, text } from './profile-fields.js';
import type { ProviderDefinition } from './types.js';

/** The fields of `users/get_current_account` that the mapper reads (https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account). */
interface DropboxAccount {
  account_id: string;
  name?: { display_name?: string; given_name?: string; surname?: string };
  email?: string;
  email_verified?: boolean;
  profile_photo_url?: string;
}

/**
 * Dropbox API v2. A refresh token comes only with `token_access_type=offline`, and is long-lived: the
 * refresh response carries none (the old one stays valid). The API is RPC: every call is a POST, and a
 * call without arguments must have no body and no Content-Type, or Dropbox answers a plain-text 400.
 * https://developers.dropbox.com/oauth-guide, https://dropbox.tech/developers/using-oauth-2-0-with-offline-access
 */
export const dropbox: ProviderDefinition = {
  id: 'dropbox',
  name: 'Dropbox',
  protocol: 'OAUTH2',
  defaultScopes: ['account_info.read'],
  clientAuth: 'client_secret_basic',
  authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
  tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
  apiUrl: 'https://api.dropboxapi.com',
  revocationUrl: 'https://api.dropboxapi.com/2/auth/token/revoke',
  authorizationParams: { token_access_type: 'offline' },
  supportsRefresh: true,
  // Dropbox's read calls are RPC POSTs: these read the user's own account and files, and change nothing.
  proxy: {
    allow: [
      'POST /2/users/get_current_account',
      'POST /2/users/get_space_usage',
      'POST /2/files/list_folder',
      'POST /2/files/list_folder/continue',
      'POST /2/files/get_metadata',
    ],
  },

  async fetchProfile(ctx) {
    const account = ctx.json<DropboxAccount & Record<string, unknown>>(await ctx.api('/2/users/get_current_account', { method: 'POST' }));
    const email = text(account.email);
    return {
      provider: ctx.providerId,
      id: accountId(account.account_id, ctx.providerId),
      displayName: text(account.name?.display_name),
      username: null,
      email,
      emailVerified: email && typeof account.email_verified === 'boolean' ? account.email_verified : null,
      avatarUrl: absoluteUrl(account.profile_photo_url),
      profileUrl: null,
      raw: account,
    };
  },

  /** `auth/token/revoke`: a POST without body, authorized by the token itself; it ends access and refresh tokens. */
  async revoke(ctx) {
    const response = await ctx.api(ctx.endpoints.revocationUrl ?? '/2/auth/token/revoke', { method: 'POST' });
    if (response.status !== 200) {
      throw new AppError(ErrorCode.PROVIDER_ERROR, `Dropbox refused the revocation (HTTP ${response.status}).`, {
        provider: ctx.providerId,
      });
    }
  },
};
