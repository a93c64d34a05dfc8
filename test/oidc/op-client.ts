import { createHash, randomBytes } from 'node:crypto';
import type { OidcClientConfig } from '../../src/demo/oidc-server.js';
import { authorizeInteractively } from './interaction.js';

/** The provider metadata the tests read (OIDC Discovery 1.0 §3, RFC 8414 §2, RFC 9207 §3). */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  response_types_supported: string[];
  scopes_supported: string[];
  claims_supported: string[];
  code_challenge_methods_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
}

export async function discover(issuer: string): Promise<ProviderMetadata> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (response.status !== 200) throw new Error(`discovery at ${issuer} answered HTTP ${response.status}`);
  return (await response.json()) as ProviderMetadata;
}

/** RFC 6749 §2.3.1: client id and secret, form-encoded, in HTTP Basic. */
export function basicAuth(client: OidcClientConfig): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
}

async function postForm(
  url: string,
  client: OidcClientConfig,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** RFC 7662 §2: what the provider says about a token, asked by the client it was issued to. */
export async function introspect(
  metadata: ProviderMetadata,
  client: OidcClientConfig,
  token: string,
): Promise<{ active: boolean } & Record<string, unknown>> {
  const { status, body } = await postForm(metadata.introspection_endpoint, client, { token });
  if (status !== 200) throw new Error(`introspection answered HTTP ${status}: ${JSON.stringify(body)}`);
  return body as { active: boolean };
}

/**
 * A whole authorization as `client` at the provider (a user signs in and consents), then the code
 * exchange: the tokens that client would hold. `nonce` is echoed in the ID token (OIDC Core §3.1.2.1).
 */
export async function signInAs(
  metadata: ProviderMetadata,
  client: OidcClientConfig,
  options: { redirectUri?: string; nonce?: string; scope?: string; login?: string } = {},
): Promise<TokenResponse> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = options.redirectUri ?? client.redirectUris[0]!;
  const url = new URL(metadata.authorization_endpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid',
    state: randomBytes(16).toString('base64url'),
    nonce: options.nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  const callback = await authorizeInteractively(url.toString(), { login: options.login });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`the provider sent no code: ${callback.search}`);
  const { status, body } = await postForm(metadata.token_endpoint, client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  if (status !== 200) throw new Error(`the code exchange answered HTTP ${status}: ${JSON.stringify(body)}`);
  return body as unknown as TokenResponse;
}
