import type { TypedDocumentString } from './generated/graphql.js';
import type { ErrorCode } from './generated/schema-enums.js';
import { GatewayError } from './errors.js';

export interface GatewayClientOptions {
  /** The gateway's `/graphql` URL. */
  url: string;
  /** Sent as Apollo Client's client-awareness headers (the gateway's CORS allows them). */
  clientName?: string;
  clientVersion?: string;
  fetch?: typeof fetch;
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: ErrorCode; http?: { status?: number }; retryAfter?: number } }>;
}

/**
 * A typed client of the gateway over plain `fetch`. It sends the browser's cookies
 * (`credentials: 'include'`): the gateway binds a sign-in to the browser that started it with a
 * cookie, so a frontend on another origin must send it, and the gateway must list that origin in
 * CORS_ORIGINS. It prefers `application/graphql-response+json` (GraphQL over HTTP), and reads the
 * error code from `extensions.code` whatever the HTTP status.
 */
export class GatewayClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GatewayClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async request<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<TResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
    };
    if (this.options.clientName) headers['apollographql-client-name'] = this.options.clientName;
    if (this.options.clientVersion) headers['apollographql-client-version'] = this.options.clientVersion;
    const response = await this.fetch(this.options.url, {
      method: 'POST',
      headers,
      credentials: 'include',
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const answer = (await response.json()) as GraphQLAnswer<TResult>;
    const first = answer.errors?.[0];
    if (first) {
      const code = first.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
      throw new GatewayError(code, first.extensions?.http?.status ?? response.status, first.message, first.extensions?.retryAfter);
    }
    if (answer.data == null) throw new GatewayError('INTERNAL_SERVER_ERROR', response.status, 'The gateway sent no data.');
    return answer.data;
  }
}
