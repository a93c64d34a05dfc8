import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';

/** Longest cursor accepted: a path and a query within their own bounds fit well inside. */
export const MAX_CURSOR_LENGTH = 8192;

export interface Cursor {
  provider: string;
  path: string;
  query: Array<[string, string]>;
}

/**
 * `pageInfo.nextCursor`: the next page's path and query relative to the API base, base64url JSON.
 * Unsigned on purpose: a decoded cursor goes through the same path checks and allow-list as any
 * request, so a forged one can reach nothing a caller could not ask for directly.
 */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ p: cursor.provider, m: cursor.path, q: cursor.query })).toString('base64url');
}

export function decodeCursor(value: string, provider: string): Cursor {
  const bad = (why: string) => new AppError(ErrorCode.BAD_USER_INPUT, `request.after ${why}.`, { fields: ['request.after'] });
  if (value.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) throw bad('is not a cursor from this gateway');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw bad('is not a cursor from this gateway');
  }
  const { p, m, q } = (raw ?? {}) as { p?: unknown; m?: unknown; q?: unknown };
  const pairs = Array.isArray(q) && q.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((s) => typeof s === 'string'));
  if (typeof p !== 'string' || typeof m !== 'string' || !pairs) throw bad('is not a cursor from this gateway');
  if (p !== provider) throw bad(`was issued for another provider`);
  return { provider: p, path: m, query: q as Array<[string, string]> };
}
