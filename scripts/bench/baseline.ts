import { ApolloServer } from '@apollo/server';
import { serveApollo } from './apollo-http.js';

/**
 * The benchmark's baseline: a bare Apollo Server 5 answering `{ __typename }` over the same kind of
 * node:http server as the gateway. Prints its port on stdout.
 */
await serveApollo(new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: {} }));
