import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from '../fakes/index.js';

/** A server on another port that records what reaches it: the "other host" no token may go to. */
export class RecordingServer {
  url = '';
  readonly requests: Array<{ method: string; url: string; authorization?: string }> = [];
  private readonly server = http.createServer((req, res) => {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Every bearer token a fake received, and every token its token endpoint handed out. */
export function tokensSeenBy(fake: { requests: RecordedRequest[] }): string[] {
  const tokens = new Set<string>();
  for (const r of fake.requests) {
    const bearer = /^Bearer (\S+)$/i.exec(r.headers.authorization ?? '')?.[1];
    if (bearer) tokens.add(bearer);
    const refresh = new URLSearchParams(r.body).get('refresh_token');
    if (refresh) tokens.add(refresh);
  }
  return [...tokens];
}

/** The first error of an operation that must fail, sent with extra request headers. */
export async function failureWith(
  url: string,
  document: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<{ code: string; message: string; extensions: Record<string, unknown> }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = (await response.json()) as { errors?: Array<{ message: string; extensions: Record<string, unknown> }> };
  const first = body.errors?.[0];
  if (!first) throw new Error(`expected a failure, got ${JSON.stringify(body)}`);
  return { code: String(first.extensions.code), message: first.message, extensions: first.extensions };
}
