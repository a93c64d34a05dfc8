import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token request the gateway made through the proxy, and the provider's answer as the gateway got it. */
export interface TokenExchange {
  grantType: string;
  request: URLSearchParams;
  authorization?: string;
  status: number;
  response: Record<string, unknown>;
}

export interface TokenProxy {
  /** Point `<ID>_TOKEN_URL` here. */
  url: string;
  exchanges: TokenExchange[];
  /** The provider's answers to that grant type, in order. */
  responses(grantType: 'authorization_code' | 'refresh_token'): Array<Record<string, unknown>>;
  /** The next answer carrying an ID token gets this one instead (a token substitution attack). */
  replaceNextIdToken(idToken: string): void;
  close(): Promise<void>;
}

/**
 * A man in the middle of the token endpoint (RFC 6749 §3.2): it forwards the gateway's requests to
 * the provider unchanged and records both sides, since the gateway never shows the tokens it holds;
 * on demand it swaps the ID token of an answer.
 */
export async function startTokenProxy(tokenEndpoint: string): Promise<TokenProxy> {
  const exchanges: TokenExchange[] = [];
  let replacement: string | undefined;

  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      const upstream = await fetch(tokenEndpoint, { method: 'POST', headers, body });
      const response = (await upstream.json()) as Record<string, unknown>;
      if (replacement !== undefined && typeof response.id_token === 'string') {
        response.id_token = replacement;
        replacement = undefined;
      }
      const request = new URLSearchParams(body);
      exchanges.push({
        grantType: request.get('grant_type') ?? '',
        request,
        authorization: req.headers.authorization,
        status: upstream.status,
        response,
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(response));
    } catch (error) {
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'proxy_failure', error_description: String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/token`,
    exchanges,
    responses: (grantType) => exchanges.filter((e) => e.grantType === grantType && e.status === 200).map((e) => e.response),
    replaceNextIdToken(idToken) {
      replacement = idToken;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
