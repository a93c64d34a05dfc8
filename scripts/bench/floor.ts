import { ApolloServer } from '@apollo/server';
import { GraphQLJSON } from 'graphql-scalars';
import { Agent } from 'undici';
import { serveApollo } from './apollo-http.js';

/**
 * The framework's floor for a gateway: a bare Apollo Server 5 whose `profile` field makes one undici
 * call to the upstream's /user and maps a few fields, and whose `providerRequest` makes one call to
 * /user/repos and returns the body as JSON with its status, served like the baseline. No store, no
 * validation, no token, no logs: what any gateway built on these parts pays before doing its own
 * work. Usage: node floor.js <upstream base URL>; prints its port on stdout.
 */
const { origin } = new URL(process.argv[2]!);
const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

const typeDefs = `
  type Profile { id: ID! username: String displayName: String email: String avatarUrl: String profileUrl: String }
  scalar JSON
  input ProviderRequestInput { path: String! }
  type ProviderResponse { status: Int! ok: Boolean! json: JSON }
  type Query {
    profile(provider: String!, sessionId: String!): Profile!
    providerRequest(provider: String!, sessionId: String, request: ProviderRequestInput!): ProviderResponse!
  }
`;
const resolvers = {
  JSON: GraphQLJSON,
  Query: {
    async providerRequest() {
      const res = await agent.request({ origin, path: '/api/v3/user/repos', method: 'GET', headers: { accept: 'application/json' } });
      return { status: res.statusCode, ok: res.statusCode < 300, json: JSON.parse(await res.body.text()) as unknown };
    },
    async profile() {
      const res = await agent.request({ origin, path: '/api/v3/user', method: 'GET', headers: { accept: 'application/json' } });
      const user = JSON.parse(await res.body.text()) as Record<string, unknown>;
      return {
        id: String(user.id),
        username: user.login,
        displayName: user.name,
        email: user.email,
        avatarUrl: user.avatar_url,
        profileUrl: user.html_url,
      };
    },
  },
};

await serveApollo(new ApolloServer({ typeDefs, resolvers }));
