import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import { FlowBinding, RequestBinding } from '../auth/binding.js';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { formatGraphQLError } from '../errors/translate.js';
import { plainLineWriter } from '../log-line.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { documentProblem } from '../graphql/document-bounds.js';
import { JsonRelay } from '../graphql/json-relay.js';
import { costLimit, depthLimit } from '../graphql/limits.js';
import { proxyFieldLimit } from '../graphql/proxy-limit.js';
import type { Metrics } from '../metrics.js';
import type { SealedStore } from '../store/store.js';
import { formPostParams, handleCallback, type CallbackOptions } from './callback.js';
import { clientAddress, TrustedProxies } from './client-address.js';
import { closeAfterUnreadBody, createFrontServer, hasBody } from './front.js';
import { metricsAllowed, serveMetrics, startMetricsListener } from './metrics-access.js';
import { corsPolicy } from './cors.js';
import { EXAMPLE_PAGE_CSP, loadStaticFiles } from './static-files.js';
import { BodyTooLarge, readBody, sendError, sendGraphQLError, sendJson, tooLarge } from './respond.js';

/** What a request leaves for its log line. */
interface RequestNote {
  operation?: string;
  errorCode?: string;
  /** The status the GraphQL request pipeline left: the request reached it. */
  pipelineStatus?: number;
  /** The pipeline found the request itself malformed (no query, a mutation over GET). */
  malformed?: boolean;
}

type Context = GraphQLContext & { note: RequestNote };

/**
 * Apollo answers 200 for errors raised inside execution; the SPEC wants the status of the error's
 * code, so a failed operation (no data) takes the status of its first error. That status is sent
 * only with `application/graphql-response+json` (see `httpStatus`). One listener serves every
 * request: nothing is made per request.
 */
const answerListener: GraphQLRequestListener<Context> = {
  async didEncounterErrors({ errors, contextValue }) {
    // Apollo's BAD_REQUEST inside the pipeline (no query, a mutation over GET): not a well-formed
    // GraphQL-over-HTTP request, so its 4xx stands whatever the media type. (Seen before formatting,
    // which makes every pre-execution error BAD_USER_INPUT.)
    if (errors.some((e) => e.extensions?.code === 'BAD_REQUEST')) contextValue.note.malformed = true;
  },
  async willSendResponse({ response, contextValue, operation }) {
    const note = contextValue.note;
    note.operation = operation ? operationLabel(operation) : 'invalid';
    note.pipelineStatus = response.http.status ?? 200;
    if (response.body.kind !== 'single') return;
    const { errors, data } = response.body.singleResult;
    const first = errors?.[0]?.extensions as { code?: string; http?: { status?: number } } | undefined;
    if (!first) return;
    note.errorCode = first.code;
    if (data == null && first.http?.status) response.http.status = first.http.status;
    note.pipelineStatus = response.http.status ?? 200;
  },
};
const statusFromErrors: ApolloServerPlugin<Context> = { requestDidStart: async () => answerListener };

/**
 * An operation's label in logs and metrics: its root field (bounded by the schema), never the
 * client's operation name. Apollo hands out the same parsed document for the same query text, so
 * the label is worked out once per document.
 */
function operationLabel(operation: OperationDefinitionNode): string {
  let label = operationLabels.get(operation);
  if (label === undefined) {
    const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : []));
    label = fields.length === 1 ? fields[0]! : fields.length > 1 ? 'multiple' : 'invalid';
    operationLabels.set(operation, label);
  }
  return label;
}
const operationLabels = new WeakMap<OperationDefinitionNode, string>();

/**
 * GraphQL over HTTP (graphql-over-http draft, §6.4): with `application/json`, a well-formed request
 * answers 200 whatever its errors (the status stays in `extensions.http.status`), which is what
 * Apollo Client 3 and other `application/json` clients expect; the error's status is sent only with
 * `application/graphql-response+json`, the type the client preferred. Requests that are not
 * well-formed (unparseable body, CSRF refusal, no query, a mutation over GET, 406) keep their 4xx.
 */
function httpStatus(status: number, contentType: string | undefined, note: RequestNote): number {
  if (note.pipelineStatus === undefined || note.malformed || status !== note.pipelineStatus) return status;
  return /^application\/json\s*(;|$)/i.test(contentType ?? '') ? 200 : status;
}

export interface HttpServerOptions {
  config: Readonly<Config>;
  metrics: Metrics;
  callback: CallbackOptions;
  schema: GraphQLSchema;
  services: Services;
  store: SealedStore;
  logger: Logger;
}

/**
 * The request target as a URL, or undefined when it is not one. The target is appended to a fixed
 * origin rather than resolved against it: `//host:port/...` is a path here, not another host.
 */
function requestUrl(target = '/'): URL | undefined {
  // The target of nearly every request, parsed once (nothing writes to a request's URL).
  if (target === '/graphql') return GRAPHQL_URL;
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://gateway.invalid${target}`);
  } catch {
    return undefined;
  }
}

const GRAPHQL_URL = new URL('http://gateway.invalid/graphql');

/** The metrics label of a request outside GraphQL: a fixed route name, never the raw path. */
function routeName(path: string): string {
  if (path === '/healthz' || path === '/readyz' || path === '/graphql') return path.slice(1);
  return path.startsWith('/callback/')
    ? 'callback'
    : path === '/' || /^\/[\w.-]+\.(js|css|svg|html|ico)$/.test(path)
      ? 'static'
      : 'not_found';
}

export interface RunningServer {
  server: Server;
  url: string;
  /** The separate metrics listener's URL, when METRICS_PORT is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** One node:http server: `/graphql` (Apollo), `/callback/:provider`, `/healthz`, `/readyz`, JSON 404s. */
export async function startHttpServer({
  config,
  metrics,
  callback: callbackOptions,
  schema,
  services,
  store,
  logger,
}: HttpServerOptions): Promise<RunningServer> {
  const server = createFrontServer(config, logger);
  const trustedProxies = new TrustedProxies(config.trustedProxies);
  // The request line has a fixed shape with no secret in it (path without query, codes, numbers), so it
  // skips the redaction pass that every other log line pays for.
  const requestLog = plainLineWriter(logger, 'request');
  const staticFiles = config.examplePage ? loadStaticFiles() : new Map();
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handlers would race its shutdown.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit(config.graphqlMaxDepth), costLimit(config.graphqlMaxCost), proxyFieldLimit()],
    // SEC-06: the parser stops past this many tokens, before building anything.
    parseOptions: { maxTokens: config.graphqlMaxTokens },
    // SEC-09: without introspection, "Did you mean …?" would still give the schema away.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      ApolloServerPluginCacheControlDisabled(),
      statusFromErrors,
      // SEC-10: the production landing page loads an unpinned script from Apollo's CDN onto this origin.
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
    logger: { debug: () => {}, info: () => {}, warn: (m) => logger.warn(String(m)), error: (m) => logger.error(String(m)) },
  });
  await apollo.start();

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL, note: RequestNote): Promise<void> {
    const headers = new HeaderMap();
    const incoming = req.headers;
    for (const name in incoming) {
      const value = incoming[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req, config.graphqlMaxBodyBytes);
      if ((req.headers['content-type'] ?? '').includes('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new AppError(ErrorCode.BAD_USER_INPUT, 'The request body is not valid JSON.');
        }
      } else {
        body = text;
      }
    }
    const query = req.method === 'POST' ? (body as { query?: unknown } | null)?.query : url.searchParams.get('query');
    const problem = typeof query === 'string' ? documentProblem(query, config.graphqlMaxTokens) : undefined;
    if (problem) {
      note.operation = 'invalid';
      note.errorCode = ErrorCode.BAD_USER_INPUT;
      return sendGraphQLError(res, new AppError(ErrorCode.BAD_USER_INPUT, problem));
    }
    const client = clientAddress(req, trustedProxies, config.trustedProxyHeader);
    const binding = new RequestBinding(FlowBinding.presented(req.headers.cookie));
    const relay = new JsonRelay();
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => ({ services, client, note, binding, authorization: req.headers.authorization, relay }),
    });
    // A startAuth in this request bound a flow to the browser: (re)issue its cookie.
    if (binding.toSet) res.setHeader('set-cookie', services.flow.bindingCookie(binding.toSet));
    // Every answer is private to one session: no shared or browser cache may keep it. (Apollo's cache
    // control plugin, which would compute this per field, is off: no field has a cache hint.)
    res.setHeader('cache-control', 'no-store');
    for (const [name, value] of result.headers) res.setHeader(name, value);
    const contentType = result.headers.get('content-type');
    res.statusCode = httpStatus(result.status ?? 200, contentType, note);
    if (contentType?.startsWith('text/html')) {
      // A landing page (development only): never framed (SEC-18).
      res.setHeader('content-security-policy', "frame-ancestors 'none'");
      res.setHeader('x-frame-options', 'DENY');
    }
    if (result.body.kind === 'complete') {
      res.end(relay.splice(result.body.string));
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  const cors = corsPolicy(config);

  /** Answers one request; errors are the caller's (`answer`) to turn into a response. */
  async function route(req: IncomingMessage, res: ServerResponse, url: URL | undefined, note: RequestNote): Promise<void> {
    if (cors(req, res, url?.pathname) === 'answered') {
      note.errorCode = res.statusCode === 403 ? 'CORS_ORIGIN_NOT_ALLOWED' : undefined;
      return;
    }
    if (!url) {
      note.errorCode = ErrorCode.BAD_USER_INPUT;
      return sendError(res, new AppError(ErrorCode.BAD_USER_INPUT, 'The request target is not a valid path.'));
    }
    if (url.pathname === '/graphql') {
      if (req.method !== 'GET' && req.method !== 'POST') {
        return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: '/graphql answers GET and POST.' }, { allow: 'GET, POST' });
      }
      return graphql(req, res, url, note);
    }
    // Provider ids are [a-z0-9-]: the segment is used undecoded, and anything else is refused as unknown.
    const callback = /^\/callback\/([^/]+)$/.exec(url.pathname);
    if (callback && (req.method === 'GET' || req.method === 'POST')) {
      note.operation = 'callback';
      // form_post providers (Apple) answer with an urlencoded POST; callback.ts refuses it for the others.
      const params = req.method === 'POST' ? await formPostParams(req, config.maxBodyBytes) : url.searchParams;
      const browser = FlowBinding.presented(req.headers.cookie);
      note.errorCode = await handleCallback(res, callback[1]!, params, browser, services.flow, callbackOptions, logger, req.method);
      return;
    }
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    // Browsers ask for it on every page without a <link rel="icon"> (Sandbox, JSON answers): no 404 each time.
    if (url.pathname === '/favicon.ico' && req.method === 'GET') return void res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
    if (url.pathname === '/metrics' && req.method === 'GET') {
      note.operation = 'metrics';
      return serveMetrics(req, res, metrics, metricsAllowed(req, config.metricsToken, false));
    }
    const file = req.method === 'GET' ? staticFiles.get(url.pathname) : undefined;
    if (file) {
      res.writeHead(200, {
        'content-type': file.type,
        'content-security-policy': EXAMPLE_PAGE_CSP,
        'cache-control': 'no-cache',
      });
      return void res.end(file.body);
    }
    if (url.pathname === '/readyz') {
      try {
        await store.ping();
        return sendJson(res, 200, { status: 'ready' });
      } catch {
        return sendJson(res, 503, { status: 'store unavailable' });
      }
    }
    sendJson(res, 404, { error: 'NOT_FOUND', message: `No route for ${req.method} ${url.pathname}.` });
  }

  // One async function per request, no closures or promise chains of its own: this runs on every answer.
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const note: RequestNote = {};
    const url = requestUrl(req.url);
    // SEC-18: on every answer. No page of the gateway's needs to send a Referer, and the example
    // page's own URL carries code and state.
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    // SEC-16: a body sent where none is read is not drained to keep the connection.
    const readsBody = req.method === 'POST' && (url?.pathname === '/graphql' || url?.pathname.startsWith('/callback/'));
    if (hasBody(req) && !readsBody) closeAfterUnreadBody(req, res);
    try {
      await route(req, res, url, note);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || req.socket.destroyed) {
        // The client went away mid-request (a cut body, a closed socket): nobody to answer, nothing to alarm.
        note.errorCode = 'CLIENT_CLOSED_REQUEST';
        res.statusCode = 499;
        return void res.destroy();
      }
      if (error instanceof BodyTooLarge) {
        note.errorCode = ErrorCode.BAD_USER_INPUT;
        closeAfterUnreadBody(req, res);
        return sendError(res, tooLarge(error.limit), 413);
      }
      const appError = error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
      if (!(error instanceof AppError)) logger.error({ err: error }, 'request failed');
      note.errorCode = appError.code;
      sendError(res, appError);
    } finally {
      const operation = note.operation ?? routeName(url?.pathname ?? '');
      const outcome = note.errorCode ?? (res.statusCode < 400 ? 'OK' : `HTTP_${res.statusCode}`);
      metrics.requestAnswered(operation, outcome, (performance.now() - started) / 1000);
      requestLog({
        method: req.method,
        path: url?.pathname,
        operation: note.operation,
        status: res.statusCode,
        errorCode: note.errorCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      });
    }
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void answer(req, res));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const metricsListener =
    config.metricsPort === undefined
      ? undefined
      : await startMetricsListener(config.metricsHost, config.metricsPort, metrics, config.metricsToken);
  return {
    server,
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`,
    metricsUrl: metricsListener?.url,
    async close() {
      if (metricsListener) {
        metricsListener.server.closeAllConnections();
        await new Promise((resolve) => metricsListener.server.close(resolve));
      }
      await apollo.stop();
    },
  };
}
