import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';

/**
 * The account id of a profile document: a non-empty string, or an integer that is stringified
 * (GitLab, Strava). Anything else means the provider answered outside its documented shape.
 */
export function accountId(value: unknown, providerId: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new AppError(ErrorCode.PROVIDER_ERROR, `${providerId} sent a profile without an account id.`, { provider: providerId });
}

/** A string field, or null when the provider did not send one (a missing field is never invented). */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An absolute http(s) URL, or null (providers send relative paths or placeholders for missing pictures). */
export function absoluteUrl(value: unknown): string | null {
  return typeof value === 'string' && /^https?:\/\/[^\s]+$/.test(value) ? value : null;
}
