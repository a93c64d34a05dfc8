import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AppError, isAppError } from '../../src/errors/app-error.js';
import { errorCatalog, statusOf } from '../../src/errors/catalog.js';
import { ErrorCode } from '../../src/errors/codes.js';

/** The error table of SPEC.md: code → HTTP status. */
const specTable: Record<string, number> = {
  BAD_USER_INPUT: 400,
  UNKNOWN_PROVIDER: 400,
  PROVIDER_NOT_CONFIGURED: 400,
  INVALID_STATE: 400,
  ACCESS_DENIED: 400,
  TOKEN_EXCHANGE_FAILED: 400,
  INVALID_ID_TOKEN: 400,
  SESSION_NOT_FOUND: 401,
  REAUTH_REQUIRED: 401,
  INSUFFICIENT_SCOPE: 403,
  PROVIDER_RATE_LIMITED: 429,
  RATE_LIMITED: 429,
  PROVIDER_ERROR: 502,
  PROVIDER_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
  PROXY_NOT_ALLOWED: 403,
  APP_CREDENTIALS_FAILED: 502,
};

const codes = Object.values(ErrorCode);

describe('the error catalog', () => {
  it('has exactly the codes of the specification', () => {
    expect([...codes].sort()).toEqual(Object.keys(specTable).sort());
    expect(Object.keys(errorCatalog).sort()).toEqual(Object.keys(specTable).sort());
  });

  it.each(Object.entries(specTable))('maps %s to HTTP %i', (code, status) => {
    expect(statusOf(code as ErrorCode)).toBe(status);
    expect(errorCatalog[code as ErrorCode].status).toBe(status);
    expect(errorCatalog[code as ErrorCode].description.length).toBeGreaterThan(10);
  });
});

describe('AppError', () => {
  it('carries code, HTTP status, provider and retryAfter to the client', () => {
    const error = new AppError(ErrorCode.PROVIDER_RATE_LIMITED, 'github is rate-limiting requests.', {
      provider: 'github',
      retryAfter: 42,
    });
    expect(error.status).toBe(429);
    expect(error.toExtensions()).toEqual({ code: 'PROVIDER_RATE_LIMITED', http: { status: 429 }, provider: 'github', retryAfter: 42 });
    expect(isAppError(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });

  it('sends only code and status when there is nothing else to say', () => {
    expect(new AppError(ErrorCode.SESSION_NOT_FOUND, 'No such session.').toExtensions()).toEqual({
      code: 'SESSION_NOT_FOUND',
      http: { status: 401 },
    });
  });

  it('names the fields that failed validation', () => {
    const error = new AppError(ErrorCode.BAD_USER_INPUT, 'Invalid argument: sessionId.', { fields: ['sessionId'] });
    expect(error.toExtensions()).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 }, fields: ['sessionId'] });
  });

  it('keeps its cause on the server side', () => {
    const cause = new Error('connect ECONNREFUSED with secret s3cr3t');
    const error = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'spotify could not be reached.', { provider: 'spotify', cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error.toExtensions())).not.toContain('s3cr3t');
    expect(error.message).not.toContain('s3cr3t');
  });
});

describe('the documentation', () => {
  // The README's error table.
  const docs = ['../../README.md'].map((path) => new URL(path, import.meta.url));

  it('documents every error code with its status in an error table', () => {
    const rows = docs
      .map((url) => readFileSync(url, 'utf8'))
      .join('\n')
      .split('\n')
      .filter((line) => line.trim().startsWith('|'))
      .map((line) =>
        line
          .trim()
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((cell) => cell.trim().replace(/^`|`$/g, '')),
      );
    const documented = (code: ErrorCode) =>
      rows.some((cells) => cells.includes(code) && cells.some((cell) => new RegExp(`^${statusOf(code)}\\b`).test(cell)));
    const missing = codes.filter((code) => !documented(code));
    expect(missing).toEqual([]);
  });
});
