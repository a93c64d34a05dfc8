/**
 * Shared plumbing for the fake providers: a loopback HTTP server that records every request, small reply
 * helpers, and a Scenario of queued one-shot failures that replace the next answer(s) of an endpoint.
 */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request being handled: what was recorded plus the raw objects to answer it. */
export interface Exchange extends RecordedRequest {
  req: IncomingMessage;
  res: ServerResponse;
}

/** Endpoints whose next answer can be replaced with `failNext`. */
export type Endpoint =
  | 'token'
  | 'profile'
  | 'emails'
  | 'userinfo'
  | 'revoke'
  | 'jwks'
  | 'discovery'
  | 'repos'
  | 'repo'
  | 'redirect'
  | 'create'
  | 'playlists'
  | 'catalog';

/**
 * - `{ status, body?, headers? }`: answered exactly as given (an object body is sent as JSON).
 * - `{ delayMs }`: answered normally, but only after the delay (to widen race windows).
 * - `'hang'`: never answered; the socket stays open until `close()`.
 * - `'garbage'`: HTTP 200 whose body is not JSON (an HTML error page, as proxies produce).
 * - `'reset'`: the TCP connection is reset.
 */
export type Failure =
  | { status: number; body?: string | object; headers?: Record<string, string> }
  | { delayMs: number }
  | 'hang'
  | 'garbage'
  | 'reset';

export class Scenario {
  private readonly queues = new Map<Endpoint, Failure[]>();

  failNext(endpoint: Endpoint, failure: Failure, times = 1): void {
    const queue = this.queues.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.queues.set(endpoint, queue);
  }

  take(endpoint: Endpoint): Failure | undefined {
    return this.queues.get(endpoint)?.shift();
  }

  clear(): void {
    this.queues.clear();
  }
}

type Headers = Record<string, string | number>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Headers = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

export function sendForm(res: ServerResponse, status: number, fields: Record<string, string | number>, headers: Headers = {}): void {
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]));
  res.writeHead(status, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers });
  res.end(body.toString());
}

/** The media type of a Content-Type header, without parameters, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The body as form parameters, or undefined unless it was sent as application/x-www-form-urlencoded. */
export function formBody(ex: RecordedRequest): URLSearchParams | undefined {
  return mediaType(ex.headers['content-type']) === 'application/x-www-form-urlencoded' ? new URLSearchParams(ex.body) : undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export abstract class FakeServer {
  url = '';
  /** Every request received, in arrival order (including ones answered with a queued failure). */
  readonly requests: RecordedRequest[] = [];
  protected readonly scenario = new Scenario();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server = http.createServer((req, res) => void this.dispatch(req, res));

  protected abstract route(ex: Exchange): void | Promise<void>;

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** How many requests hit `pathname` (optionally with this method). */
  count(pathname: string, method?: string): number {
    return this.requests.filter((r) => r.path === pathname && (!method || r.method === method.toUpperCase())).length;
  }

  failNext(endpoint: Endpoint, failure: Failure, times = 1): void {
    this.scenario.failNext(endpoint, failure, times);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung and keep-alive sockets would otherwise keep close() pending forever.
    this.server.closeAllConnections();
    await closed;
  }

  /** Plays the queued failure for `endpoint`, if any. True when the exchange needs no further handling. */
  protected async playFailure(endpoint: Endpoint, ex: Exchange): Promise<boolean> {
    const failure = this.scenario.take(endpoint);
    if (failure === undefined) return false;
    if (failure === 'hang') return true;
    if (failure === 'reset') {
      ex.req.socket.resetAndDestroy(); // sends a TCP RST, which clients see as ECONNRESET
      return true;
    }
    if (failure === 'garbage') {
      const page = '<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>';
      sendText(ex.res, 200, page, { 'content-type': 'text/html; charset=utf-8' });
      return true;
    }
    if ('delayMs' in failure) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (this.timers.delete(timer), resolve()), failure.delayMs);
        this.timers.add(timer);
      });
      return ex.req.socket.destroyed; // the client may have given up meanwhile
    }
    const { status, body, headers = {} } = failure;
    if (body === undefined) ex.res.writeHead(status, headers).end();
    else if (typeof body === 'string') sendText(ex.res, status, body, headers);
    else sendJson(ex.res, status, body, headers);
    return true;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', this.url);
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(recorded);
      await this.route({ ...recorded, req, res });
    } catch (err) {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: 'fake_server_error', message: String(err) });
    }
  }
}
