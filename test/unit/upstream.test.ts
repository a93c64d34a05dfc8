import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { AppError } from '../../src/errors/app-error.js';
import { ErrorCode } from '../../src/errors/codes.js';
import { apiError, parseJson, Upstream, type UpstreamRequest, type UpstreamResponse } from '../../src/upstream/upstream.js';

/** Requests the provider server received, by path. */
const received = new Map<string, number>();
/** How many times /flaky has answered 503 so far. */
let flakyFailures = 0;

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  received.set(path, (received.get(path) ?? 0) + 1);
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  switch (path) {
    case '/flaky':
      if (flakyFailures < 2) {
        flakyFailures++;
        return json(503, { message: 'Service Unavailable' });
      }
      return json(200, { id: 'wizzler' });
    case '/down':
      return json(503, { message: 'Service Unavailable' });
    case '/down-for-a-while':
      return json(503, { message: 'Maintenance' }, { 'retry-after': '120' });
    case '/rate-limited':
      return json(429, { error: { status: 429, message: 'API rate limit exceeded' } }, { 'retry-after': '7' });
    case '/github-rate-limited':
      return json(
        403,
        { message: 'API rate limit exceeded for user ID 583231.', documentation_url: 'https://docs.github.com/rest' },
        { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30) },
      );
    case '/forbidden':
      return json(403, { message: 'Resource not accessible by integration' }, { 'x-ratelimit-remaining': '4999' });
    case '/hang':
      return; // never answered
    case '/huge': {
      // A body just over the 1 MiB bound, sent in chunks without a content-length.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let i = 0; i < 16; i++) res.write(chunk);
      return res.end('{}');
    }
    case '/multi-chunk': {
      // A JSON document split across writes, with a multi-byte character cut in two.
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      const body = Buffer.from(JSON.stringify({ name: 'Zoë', padding: 'x'.repeat(100_000) }));
      const cut = body.indexOf(Buffer.from('ë')) + 1;
      res.write(body.subarray(0, cut));
      return setTimeout(() => res.end(body.subarray(cut)), 5);
    }
    case '/garbage':
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    default:
      return json(404, { message: 'Not Found' });
  }
});

let base = '';
let closedPortUrl = '';
const upstream = new Upstream(300, pino({ level: 'silent' }));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A loopback port that was just free: connecting to it is refused.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPortUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/user`;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  await upstream.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.clear();
  flakyFailures = 0;
});

function get(path: string, overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    provider: 'spotify',
    method: 'GET',
    url: `${base}${path}`,
    headers: { accept: 'application/json' },
    idempotent: true,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('Upstream.send', () => {
  it('retries an idempotent call through two 503s and returns the answer', async () => {
    const response = await upstream.send(get('/flaky'));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ id: 'wizzler' });
    expect(response.headers['content-type']).toBe('application/json');
    expect(received.get('/flaky')).toBe(3);
  });

  it('gives up on an idempotent call after a bounded number of retries', async () => {
    const error = await failure(upstream.send(get('/down')));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_UNAVAILABLE, provider: 'spotify' });
    expect(error.status).toBe(503);
    expect(received.get('/down')).toBe(3);
  });

  it('never retries a non-idempotent call (a token request) after a 503', async () => {
    const error = await failure(
      upstream.send(get('/down', { method: 'POST', body: 'grant_type=authorization_code&code=abc', idempotent: false })),
    );
    expect(error.code).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    expect(received.get('/down')).toBe(1);
  });

  it('does not wait out a long Retry-After on a 503 but surfaces it', async () => {
    const started = Date.now();
    const error = await failure(upstream.send(get('/down-for-a-while')));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_UNAVAILABLE, retryAfter: 120 });
    expect(received.get('/down-for-a-while')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers a 429 with PROVIDER_RATE_LIMITED and its Retry-After, without retrying', async () => {
    const error = await failure(upstream.send(get('/rate-limited')));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_RATE_LIMITED, provider: 'spotify', retryAfter: 7 });
    expect(error.status).toBe(429);
    expect(error.toExtensions()).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryAfter: 7, http: { status: 429 } });
    expect(received.get('/rate-limited')).toBe(1);
  });

  it("treats GitHub's 403 with X-RateLimit-Remaining: 0 as a rate limit until X-RateLimit-Reset", async () => {
    const error = await failure(upstream.send(get('/github-rate-limited', { provider: 'github' })));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_RATE_LIMITED, provider: 'github' });
    expect(error.retryAfter).toBeGreaterThanOrEqual(28);
    expect(error.retryAfter).toBeLessThanOrEqual(31);
    expect(received.get('/github-rate-limited')).toBe(1);
  });

  it('passes an ordinary 403 through to the caller', async () => {
    const response = await upstream.send(get('/forbidden', { provider: 'github' }));
    expect(response.status).toBe(403);
    expect(apiError(response, 'github').code).toBe(ErrorCode.INSUFFICIENT_SCOPE);
  });

  it('answers PROVIDER_UNAVAILABLE within about the timeout when the provider never answers', async () => {
    const started = Date.now();
    const error = await failure(upstream.send(get('/hang', { method: 'POST', idempotent: false })));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_UNAVAILABLE, provider: 'spotify' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    // undici checks its headers timeout on a coarse clock (ticks of about half a second).
    expect(elapsed).toBeLessThan(2000);
    expect(received.get('/hang')).toBe(1);
  });

  it('does not retry a timed-out idempotent call: one timeout is the whole budget', async () => {
    const started = Date.now();
    const error = await failure(upstream.send(get('/hang')));
    expect(error.code).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    // One try, bounded by the timeout on undici's coarse clock; retrying would triple the wait.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(received.get('/hang')).toBe(1);
  });

  it('answers PROVIDER_UNAVAILABLE when the connection is refused', async () => {
    const error = await failure(upstream.send({ provider: 'github', method: 'GET', url: closedPortUrl, idempotent: true }));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_UNAVAILABLE, provider: 'github' });
    expect(error.message).not.toContain('ECONNREFUSED');
  });

  it('reads a body that arrives in several chunks, a character split between them', async () => {
    const response = await upstream.send(get('/multi-chunk'));
    expect(JSON.parse(response.text)).toMatchObject({ name: 'Zoë' });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('refuses a body over 1 MiB with PROVIDER_ERROR, without retrying', async () => {
    const error = await failure(upstream.send(get('/huge')));
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'spotify' });
    expect(error.message).toContain('1048576 bytes');
    expect(received.get('/huge')).toBe(1);
  });

  it('offers a fetch on the same pool for libraries that take one', async () => {
    const response = await upstream.fetch(`${base}/flaky`);
    expect(response.status).toBe(503);
    expect(received.get('/flaky')).toBe(1);
  });
});

describe('parseJson', () => {
  const response = (text: string, status = 200): UpstreamResponse => ({ status, headers: {}, text });

  it('parses a JSON object', () => {
    expect(parseJson(response('{"id":"wizzler"}'), 'spotify')).toEqual({ id: 'wizzler' });
    expect(parseJson(response('[{"email":"a@b"}]'), 'github')).toEqual([{ email: 'a@b' }]);
  });

  it('answers PROVIDER_ERROR on an unreadable body', async () => {
    const garbage = await upstream.send(get('/garbage'));
    for (const bad of [garbage, response(''), response('null'), response('"a string"'), response('42'), response('{"id":')]) {
      let error: unknown;
      try {
        parseJson(bad, 'spotify');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'spotify' });
      expect((error as AppError).status).toBe(502);
    }
  });
});

describe('apiError', () => {
  const response = (status: number): UpstreamResponse => ({ status, headers: {}, text: '{}' });

  it('maps 401 to REAUTH_REQUIRED, 403 to INSUFFICIENT_SCOPE and anything else to PROVIDER_ERROR', () => {
    expect(apiError(response(401), 'google')).toMatchObject({ code: ErrorCode.REAUTH_REQUIRED, provider: 'google' });
    expect(apiError(response(403), 'google')).toMatchObject({ code: ErrorCode.INSUFFICIENT_SCOPE, provider: 'google' });
    expect(apiError(response(404), 'google')).toMatchObject({ code: ErrorCode.PROVIDER_ERROR, provider: 'google' });
    expect(apiError(response(400), 'google').status).toBe(502);
  });
});
