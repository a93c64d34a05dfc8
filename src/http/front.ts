import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { addressKey, TrustedProxies } from './client-address.js';
import { ThrottledLog } from './throttled-log.js';

type FrontConfig = Pick<
  Config,
  | 'firstByteTimeoutMs'
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'maxConnections'
  | 'maxConnectionsPerClient'
  | 'trustedProxies'
>;

/**
 * The node:http server of the public port, with the limits that keep slow or silent clients from
 * holding it (Slowloris, CWE-400):
 * - a connection that sends nothing within `firstByteTimeoutMs` is closed: Node's own header timeout
 *   only starts with the first byte, so a silent socket would otherwise stay open for ever;
 * - request line and headers within `headersTimeoutMs`, the whole request within `requestTimeoutMs`
 *   (Node answers 408 and closes), checked every second at most rather than Node's 30 s;
 * - an idle keep-alive connection is closed after `keepAliveTimeoutMs`;
 * - at most `maxConnections` open connections, and `maxConnectionsPerClient` per client address
 *   (IPv6 per /64). Trusted proxies carry many clients and are exempt from the per-client cap.
 * When a limit bites, a throttled warning says which, with the client address and no request data.
 */
export function createFrontServer(config: FrontConfig, logger: Logger): Server {
  const server = createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
  });
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  const log = new ThrottledLog(logger);
  const trusted = new TrustedProxies(config.trustedProxies);

  // Node counts the total itself and refuses past it before any JavaScript sees the socket.
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    log.warn(
      'connection_cap',
      { client: data?.remoteAddress ? addressKey(data.remoteAddress) : 'unknown', limit: config.maxConnections },
      'connection refused: MAX_CONNECTIONS open connections reached',
    );
  });

  const perClient = new Map<string, number>();
  const answered = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress;
    const client = peer ? addressKey(peer) : 'unknown';
    const open = perClient.get(client) ?? 0;
    if (config.maxConnectionsPerClient > 0 && open >= config.maxConnectionsPerClient && !(peer && trusted.has(peer))) {
      log.warn(
        'client_connection_cap',
        { client, limit: config.maxConnectionsPerClient },
        'connection refused: MAX_CONNECTIONS_PER_CLIENT reached',
      );
      socket.destroy();
      return;
    }
    perClient.set(client, open + 1);
    socket.once('close', () => {
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
    // Node re-arms the socket timeout for keep-alive itself; until the first request it is ours.
    socket.setTimeout(config.firstByteTimeoutMs);
    socket.once('timeout', () => {
      if (answered.has(socket)) return;
      log.warn(
        'first_byte_timeout',
        { client, timeoutMs: config.firstByteTimeoutMs },
        'connection closed: no request within HTTP_FIRST_BYTE_TIMEOUT_MS',
      );
      socket.destroy();
    });
  });
  server.on('request', (req: IncomingMessage) => {
    if (answered.has(req.socket)) return;
    answered.add(req.socket);
    // From here on requestTimeout bounds the request and keepAliveTimeout the idle time after it.
    req.socket.setTimeout(0);
  });

  // Node's default answers to a request it cannot parse or that came too slowly (lib/_http_server.js
  // socketOnError, which a listener replaces), plus a warning for the time-outs.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? 413
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 408
            : 400;
    if (status === 408) {
      const client = socket.remoteAddress ? addressKey(socket.remoteAddress) : 'unknown';
      log.warn(
        'request_timeout',
        { client, headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs },
        'connection closed: request not received within HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS',
      );
    }
    // As Node does: answer only when no answer of this connection is half-written.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
}

/** How long, and how much, a closing connection still reads and discards (see closeAfterUnreadBody). */
const LINGER_MS = 1000;
const LINGER_BYTES = 1024 * 1024;

/**
 * A request whose body the route does not read in full (a 413, a route that takes no body) is
 * answered with `Connection: close`: the rest of the body is not read to reuse the connection.
 * The close is staged (RFC 9112 §9.6): Node would destroy the socket as soon as the answer is
 * written, and the client's body bytes still arriving would then be answered with a TCP reset that
 * can reach the client before it reads the answer. Instead the gateway half-closes, discards what
 * still arrives for at most LINGER_MS and LINGER_BYTES, and then closes.
 */
export function closeAfterUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  const socket = req.socket;
  const closeWhenWritten = socket.destroySoon.bind(socket);
  // Node calls destroySoon() once an answer with `Connection: close` is written (lib/_http_server.js).
  socket.destroySoon = () => {
    if (req.complete) return closeWhenWritten();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) socket.destroy();
    });
    req.resume();
  };
}

/** Whether the request announces a body (RFC 9112 §6.3: a Content-Length above 0, or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
