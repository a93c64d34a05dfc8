import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../metrics.js';
import { sendJson } from './respond.js';

/**
 * Who may read `/metrics`. On the public port: only a caller presenting `METRICS_TOKEN` as a Bearer
 * token (RFC 6750 §2.1). Without one configured, without the header or with a wrong token, the
 * route does not exist (404): an anonymous caller learns nothing, not even that metrics are there
 * (they would give away the runtime version, the load, the error rates). On the separate metrics
 * listener, which operators bind to loopback or a private interface, the token is asked only when set.
 */
export function metricsAllowed(req: IncomingMessage, token: string | undefined, privateListener: boolean): boolean {
  if (!token) return privateListener;
  const presented = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return presented !== undefined && sameSecret(presented, token);
}

/** Compares digests, so the time taken says nothing about the token, not even its length. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Answers GET /metrics: the exposition text when allowed, the JSON 404 of an unknown route otherwise. */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, allowed: boolean): Promise<void> {
  if (!allowed) return sendJson(res, 404, { error: 'NOT_FOUND', message: `No route for ${req.method} /metrics.` });
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(text);
}

export interface MetricsListener {
  server: Server;
  url: string;
}

/** The separate `/metrics` listener (METRICS_PORT on METRICS_HOST, loopback by default); nothing else is served there. */
export async function startMetricsListener(
  host: string,
  port: number,
  metrics: Metrics,
  token: string | undefined,
): Promise<MetricsListener> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || req.method !== 'GET') {
      return sendJson(res, 404, { error: 'NOT_FOUND', message: 'Only GET /metrics is served here.' }, { connection: 'close' });
    }
    serveMetrics(req, res, metrics, metricsAllowed(req, token, true)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` };
}
