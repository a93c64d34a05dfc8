import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditServer, type AuditResult } from 'graphql-http';
import { GRAPHQL_RESPONSE, startTestGateway, type TestGateway } from './harness.js';

/*
 * The status of a GraphQL answer (GraphQL over HTTP, https://graphql.github.io/graphql-over-http/draft/
 * §6.4): with `application/json` a well-formed request answers 200 whatever its errors, with
 * `application/graphql-response+json` a failed operation takes its first error's status. Requests that
 * never reach execution keep their 4xx.
 */

const UNKNOWN_SESSION = `{ session(sessionId: "${'A'.repeat(43)}") { sessionId } }`;
/** What Apollo Client 4's HttpLink sends by default. */
const APOLLO_CLIENT_4_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

describe('GraphQL over HTTP: the status of a failed operation', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const post = (body: string, accept?: string) =>
    fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept && { accept }) },
      body,
    });
  const query = (text: string, accept?: string) => post(JSON.stringify({ query: text }), accept);

  it('answers 200 to an application/json client, the code and its status in the error', async () => {
    for (const accept of ['application/json', undefined]) {
      const res = await query(UNKNOWN_SESSION, accept);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { data: unknown; errors: Array<{ extensions: Record<string, unknown> }> };
      expect(body.data).toBeNull();
      expect(body.errors[0]!.extensions).toMatchObject({ code: 'SESSION_NOT_FOUND', http: { status: 401 } });
    }
  });

  it("answers the code's status to a client that prefers application/graphql-response+json", async () => {
    for (const accept of [GRAPHQL_RESPONSE, APOLLO_CLIENT_4_ACCEPT]) {
      const res = await query(UNKNOWN_SESSION, accept);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    }
  });

  it('answers 200 to an application/json client for a document that does not parse or validate', async () => {
    for (const text of ['{ providers { id }', '{ providers { nope } }']) {
      const json = await query(text, 'application/json');
      expect(json.status).toBe(200);
      expect(((await json.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe(
        'BAD_USER_INPUT',
      );
      expect((await query(text, GRAPHQL_RESPONSE)).status).toBe(400);
    }
  });

  it('keeps the 4xx of requests that never reach execution: unparseable body, oversized body, CSRF refusal', async () => {
    expect((await post('{"query": ', 'application/json')).status).toBe(400);
    expect((await post(JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(1_100_000) }), 'application/json')).status).toBe(413);
    const csrf = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ providers { id } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(csrf.status).toBe(400);
    // Not well-formed GraphQL-over-HTTP requests: no query at all, a mutation over GET (405 in the spec; Apollo says 400).
    expect((await post(JSON.stringify({ variables: {} }), 'application/json')).status).toBe(400);
    const mutation = encodeURIComponent('mutation { endSession(sessionId: "x") }');
    const get = await fetch(`${gw.url}/graphql?query=${mutation}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(get.status).toBe(400);
  });

  it('still answers 200 with the data when an operation succeeds', async () => {
    expect((await query('{ providers { id } }', 'application/json')).status).toBe(200);
    expect((await query('{ providers { id } }', GRAPHQL_RESPONSE)).status).toBe(200);
  });
});

describe('the graphql-http audits (GraphQL over HTTP conformance)', () => {
  let gw: TestGateway;
  let bare: ApolloServer;
  let bareUrl: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    bare = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: {} });
    ({ url: bareUrl } = await startStandaloneServer(bare, { listen: { port: 0, host: '127.0.0.1' } }));
  });
  afterAll(async () => {
    await Promise.all([gw.close(), bare.stop()]);
  });

  const byId = (results: AuditResult[]) => new Map(results.map((r) => [r.id, r]));

  it('fails no audit on the gateway that a bare Apollo Server passes, and passes the 200-for-application/json ones', async () => {
    const [gateway, reference] = await Promise.all([auditServer({ url: `${gw.url}/graphql` }), auditServer({ url: bareUrl })]);
    const ref = byId(reference);
    expect(gateway.length).toBe(reference.length);
    const worse = gateway.filter((r) => r.status === 'error' && ref.get(r.id)?.status !== 'error').map((r) => `${r.id} ${r.name}`);
    expect(worse).toEqual([]);
    expect(gateway.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`)).toEqual([]);
    // SHOULD use 200 on document parsing failure, validation failure, variable coercion failure (application/json):
    // warnings on a bare Apollo Server, passed by the gateway.
    const mine = byId(gateway);
    for (const id of ['572B', 'FDE2', '7B9B']) expect([id, mine.get(id)?.status]).toEqual([id, 'ok']);
  });
});
