import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { RuntimeProvider } from '../providers/registry.js';
import type { ProviderDefinition } from '../providers/types.js';

/** Clock skew tolerated on exp/iat/nbf. */
const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * Validates an ID token from the token endpoint as OIDC Core §3.1.3.7 asks: signature against the
 * provider's JWKS, `iss`, `aud` containing our client id, `azp` when present (and required with
 * several audiences), `exp`/`iat` within the skew, and the `nonce` sent with the authorization request.
 */
export async function validateIdToken(provider: RuntimeProvider, idToken: string, expectedNonce: string | undefined): Promise<JWTPayload> {
  const { issuer } = await provider.endpoints();
  const template = provider.definition.tenantIssuer;
  const perTenant = template !== undefined && issuer !== undefined && issuer.includes(template.placeholder);
  const keys = await provider.jwks();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      // A multi-tenant template is checked below, against the tenant the token names.
      issuer: perTenant ? undefined : issuer,
      audience: provider.clientId,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'iat', 'exp'],
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    }));
  } catch (cause) {
    if (cause instanceof joseErrors.JOSEError && !(cause instanceof joseErrors.JWKSTimeout)) {
      throw invalid(provider, describe(cause), cause);
    }
    throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `${provider.definition.name}'s signing keys could not be fetched.`, {
      provider: provider.id,
      cause,
    });
  }
  if (perTenant) checkTenantIssuer(provider, payload, issuer!, template!);
  // jose checks exp and nbf; an ID token "issued" in the future is refused too (OIDC Core §3.1.3.7 item 10).
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw invalid(provider, 'it was issued in the future');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== provider.clientId) {
    throw invalid(provider, 'its authorized party (azp) is not this client');
  }
  if (expectedNonce !== undefined && payload.nonce !== expectedNonce) {
    throw invalid(provider, 'its nonce does not match the authorization request');
  }
  return payload;
}

/**
 * Entra's multi-tenant endpoints: `iss` must be the published template with the token's own tenant
 * (`tid`) in place, and that tenant must be one the configured endpoint admits
 * (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-issuer).
 */
function checkTenantIssuer(
  provider: RuntimeProvider,
  payload: JWTPayload,
  template: string,
  rule: NonNullable<ProviderDefinition['tenantIssuer']>,
): void {
  const tenant = payload[rule.claim];
  const configured = provider.settings.issuer ?? provider.definition.issuer ?? '';
  if (typeof tenant !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(tenant) || payload.iss !== template.replace(rule.placeholder, tenant)) {
    throw invalid(provider, `its issuer does not match its tenant (${rule.claim})`);
  }
  if (!rule.acceptTenant(tenant, configured)) throw invalid(provider, 'its tenant may not sign in here');
}

function invalid(provider: RuntimeProvider, reason: string, cause?: unknown): AppError {
  return new AppError(ErrorCode.INVALID_ID_TOKEN, `${provider.definition.name}'s ID token was rejected: ${reason}.`, {
    provider: provider.id,
    cause,
  });
}

function describe(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `its "${error.claim}" claim is wrong`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it was signed by an unknown key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature is invalid';
  return 'it is malformed';
}
