import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(payload);
}

/** The REST shape of an error, `{ error: CODE, message }`, with the catalog's status. */
export function sendError(res: ServerResponse, error: AppError, status = error.status): void {
  const headers: Record<string, string> = error.retryAfter !== undefined ? { 'retry-after': String(error.retryAfter) } : {};
  sendJson(res, status, { error: error.code, message: error.message, ...(error.provider && { provider: error.provider }) }, headers);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end();
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The request body exceeds ${limit} bytes.`);
  }
}

/**
 * Reads a request body up to `limit` bytes; past it, stops reading and rejects with BodyTooLarge.
 * The rest is never drained: the answer closes the connection instead (see closeAfterUnreadBody).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new BodyTooLarge(limit));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge(limit));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A GraphQL error answer (`{ errors: [...] }`) for a request refused before it reached Apollo. */
export function sendGraphQLError(res: ServerResponse, error: AppError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: error.toExtensions() }] });
}

export const tooLarge = (limit: number) => new AppError(ErrorCode.BAD_USER_INPUT, `The request body exceeds ${limit} bytes.`);
