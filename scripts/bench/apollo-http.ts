import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/**
 * The bare way to put an Apollo Server 5 on node:http, shared by the benchmark's reference servers:
 * read the body, hand it to Apollo, write its answer. Prints the port on stdout once listening.
 */
export async function serveApollo(apollo: ApolloServer<BaseContext>): Promise<void> {
  await apollo.start();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: req.method ?? 'POST',
          headers,
          search: '',
          body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
        },
        context: async () => ({}),
      });
      for (const [k, v] of result.headers) res.setHeader(k, v);
      res.statusCode = result.status ?? 200;
      res.end(result.body.kind === 'complete' ? result.body.string : '');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}
