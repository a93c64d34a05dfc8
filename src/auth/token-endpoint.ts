import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { RuntimeProvider } from '../providers/registry.js';
import type { TokenEndpointRules } from '../providers/types.js';
import { header, type Upstream } from '../upstream/upstream.js';

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn?: number;
  /** Granted scopes, when the provider says (RFC 6749 §5.1: absent means as requested). */
  scopes?: string[];
  idToken?: string;
}

export type TokenGrant =
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string; code_verifier: string }
  | { grant_type: 'refresh_token'; refresh_token: string; redirect_uri?: string }
  /** RFC 6749 §4.4: the gateway's own token, for calls on the app's behalf. */
  | { grant_type: 'client_credentials' };

/** Error codes meaning the grant itself is dead (RFC 6749 §5.2, and GitHub's names for them). */
const DEAD_GRANT = new Set(['invalid_grant', 'bad_refresh_token', 'bad_verification_code', 'expired_token', 'unauthorized_client']);

/**
 * One token-endpoint request (RFC 6749 §4.1.3, §6). Never retried: codes and rotated refresh tokens
 * are single use. The answer's error is read whatever the status, since GitHub (and Slack) report
 * errors in HTTP 200; GitHub also answers form-encoded unless asked for JSON, which both parsers accept.
 * Encoding, headers and the error's field come from the provider's `tokenEndpoint` rules.
 */
export async function requestTokens(
  upstream: Upstream,
  provider: RuntimeProvider,
  tokenUrl: string,
  clientAuth: string,
  grant: TokenGrant,
): Promise<TokenSet> {
  const rules = provider.definition.tokenEndpoint ?? {};
  const form = new URLSearchParams(Object.entries(grant).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const headers: Record<string, string> = { accept: 'application/json', ...rules.headers };
  await authenticateClient(provider, clientAuth, form, headers);
  const response = await upstream.send({
    provider: provider.id,
    method: 'POST',
    url: tokenUrl,
    headers,
    body: encodeBody(rules, form, headers),
    idempotent: false,
  });

  const body = parseTokenBody(response.text, header(response, 'content-type')) ?? {};
  const refreshing = grant.grant_type === 'refresh_token';
  const error = rules.errorCode ? rules.errorCode(body, response.status) : typeof body.error === 'string' ? body.error : undefined;
  if (error || response.status < 200 || response.status >= 300) {
    if (grant.grant_type === 'client_credentials' && (error || response.status === 400 || response.status === 401)) {
      // invalid_client, unauthorized_client, unsupported_grant_type (RFC 6749 §5.2): the app's own credentials.
      throw new AppError(
        ErrorCode.APP_CREDENTIALS_FAILED,
        `${provider.definition.name} refused the gateway's client credentials${error ? ` (${safeWord(error)})` : ''}.`,
        { provider: provider.id },
      );
    }
    if (refreshing && error && (DEAD_GRANT.has(error) || rules.deadGrantErrors?.includes(error))) {
      throw new AppError(ErrorCode.REAUTH_REQUIRED, `${provider.definition.name} no longer accepts this connection; connect again.`, {
        provider: provider.id,
      });
    }
    if (grant.grant_type === 'authorization_code' && (error || response.status === 400 || response.status === 401)) {
      throw new AppError(
        ErrorCode.TOKEN_EXCHANGE_FAILED,
        `${provider.definition.name} rejected the authorization code${error ? ` (${safeWord(error)})` : ''}.`,
        {
          provider: provider.id,
        },
      );
    }
    throw new AppError(ErrorCode.PROVIDER_ERROR, `${provider.definition.name}'s token endpoint answered HTTP ${response.status}.`, {
      provider: provider.id,
    });
  }

  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new AppError(ErrorCode.PROVIDER_ERROR, `${provider.definition.name}'s token endpoint sent no access token.`, {
      provider: provider.id,
    });
  }
  const expiresIn = Number(body.expires_in);
  const scope = typeof body.scope === 'string' ? body.scope : undefined;
  return {
    accessToken,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    // GitHub separates granted scopes with commas, the RFC with spaces.
    scopes: scope === undefined ? undefined : scope.split(/[\s,]+/).filter(Boolean),
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
  };
}

/**
 * Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): HTTP Basic, with id
 * and secret form-encoded before base64, or both in the form body.
 */
export async function authenticateClient(
  provider: RuntimeProvider,
  method: string,
  form: URLSearchParams,
  headers: Record<string, string>,
): Promise<void> {
  const secret = await provider.tokenEndpointSecret();
  if (method === 'client_secret_basic') {
    const credentials = `${encodeURIComponent(provider.clientId)}:${encodeURIComponent(secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    form.set('client_id', provider.clientId);
    form.set('client_secret', secret);
  }
}

/** The request body in the encoding the provider's token endpoint reads (sets its content-type). */
export function encodeBody(rules: TokenEndpointRules, form: URLSearchParams, headers: Record<string, string>): string {
  if (rules.body === 'json') {
    headers['content-type'] = 'application/json';
    return JSON.stringify(Object.fromEntries(form));
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return form.toString();
}

function parseTokenBody(text: string, contentType = ''): Record<string, unknown> | undefined {
  if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** An error code from a remote server, reduced to a safe word before it enters a message. */
function safeWord(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 64);
}
