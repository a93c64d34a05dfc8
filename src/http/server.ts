import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { FlowBinding, RequestBinding } from '../auth/binding.js';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { formatGraphQLError } from '../errors/translate.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { costLimit, depthLimit } from '../graphql/limits.js';
import type { Metrics } from '../metrics.js';
import type { SealedStore } from '../store/store.js';
import { formPostParams, handleCallback, type CallbackOptions } from './callback.js';
import { EXAMPLE_PAGE_CSP, loadStaticFiles } from './static-files.js';
import { BodyTooLarge, readBody, sendError, sendJson, tooLarge } from './respond.js';

/** What a request leaves for its log line. */
interface RequestNote {
  operation?: string;
  errorCode?: string;
}

type Context = GraphQLContext & { note: RequestNote };

/**
 * Apollo answers 200 for errors raised inside execution; the SPEC wants the status of the error's
 * code, so a failed operation (no data) takes the status of its first error.
 */
const statusFromErrors: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue, operation }) {
        // Named by the root field (bounded by the schema), never by the client's operation name.
        const fields = operation?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
        contextValue.note.operation = fields.length === 1 ? fields[0] : fields.length > 1 ? 'multiple' : 'invalid';
        if (response.body.kind !== 'single') return;
        const { errors, data } = response.body.singleResult;
        const first = errors?.[0]?.extensions as { code?: string; http?: { status?: number } } | undefined;
        if (!first) return;
        contextValue.note.errorCode = first.code;
        if (data == null && first.http?.status) response.http.status = first.http.status;
      },
    };
  },
};

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
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://gateway.invalid${target}`);
  } catch {
    return undefined;
  }
}

/** The metrics label of a request outside GraphQL: a fixed route name, never the raw path. */
function routeName(path: string): string {
  if (path === '/healthz' || path === '/readyz' || path === '/graphql') return path.slice(1);
  return path.startsWith('/callback/') ? 'callback' : path === '/' || /^\/[\w.-]+\.(js|css|svg|html)$/.test(path) ? 'static' : 'not_found';
}

export interface RunningServer {
  server: Server;
  url: string;
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
  const server = createServer();
  // The request line has a fixed shape with no secret in it (path without query, codes, numbers), so it
  // skips the redaction pass that every other log line pays for.
  const requestLog = logger.child({}, { redact: { paths: [] } });
  const staticFiles = config.examplePage ? loadStaticFiles() : new Map();
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handlers would race its shutdown.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit(config.graphqlMaxDepth), costLimit(config.graphqlMaxCost)],
    formatError: (formatted, error) => formatGraphQLError(formatted, error, logger),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), ApolloServerPluginCacheControlDisabled(), statusFromErrors],
    logger: { debug: () => {}, info: () => {}, warn: (m) => logger.warn(String(m)), error: (m) => logger.error(String(m)) },
  });
  await apollo.start();

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL, note: RequestNote): Promise<void> {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req, config.maxBodyBytes);
      if ((headers.get('content-type') ?? '').includes('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new AppError(ErrorCode.BAD_USER_INPUT, 'The request body is not valid JSON.');
        }
      } else {
        body = text;
      }
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    const binding = new RequestBinding(FlowBinding.presented(req.headers.cookie));
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => ({ services, client, note, binding }),
    });
    // A startAuth in this request bound a flow to the browser: (re)issue its cookie.
    if (binding.toSet) res.setHeader('set-cookie', services.flow.bindingCookie(binding.toSet));
    // Every answer is private to one session: no shared or browser cache may keep it. (Apollo's cache
    // control plugin, which would compute this per field, is off: no field has a cache hint.)
    res.setHeader('cache-control', 'no-store');
    for (const [name, value] of result.headers) res.setHeader(name, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  function cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!origin || config.corsOrigins.length === 0) return false;
    const allowed = config.corsOrigins.includes('*') || config.corsOrigins.includes(origin);
    if (!allowed) return false;
    res.setHeader('access-control-allow-origin', config.corsOrigins.includes('*') ? '*' : origin);
    res.setHeader('vary', 'origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, apollo-require-preflight, x-apollo-operation-name');
      res.setHeader('access-control-max-age', '600');
      return true;
    }
    return false;
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const note: RequestNote = {};
    const url = requestUrl(req.url);
    const route = async () => {
      if (cors(req, res)) {
        res.writeHead(204).end();
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
      if (url.pathname === '/metrics' && req.method === 'GET') {
        note.operation = 'metrics';
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return void res.end(await metrics.registry.metrics());
      }
      const file = req.method === 'GET' ? staticFiles.get(url.pathname) : undefined;
      if (file) {
        res.writeHead(200, {
          'content-type': file.type,
          'content-security-policy': EXAMPLE_PAGE_CSP,
          'x-content-type-options': 'nosniff',
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
    };
    route()
      .catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || req.socket.destroyed) {
          // The client went away mid-request (a cut body, a closed socket): nobody to answer, nothing to alarm.
          note.errorCode = 'CLIENT_CLOSED_REQUEST';
          res.statusCode = 499;
          return void res.destroy();
        }
        if (error instanceof BodyTooLarge) {
          note.errorCode = ErrorCode.BAD_USER_INPUT;
          return sendError(res, tooLarge(config.maxBodyBytes), 413);
        }
        const appError = error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
        if (!(error instanceof AppError)) logger.error({ err: error }, 'request failed');
        note.errorCode = appError.code;
        sendError(res, appError);
      })
      .finally(() => {
        const operation = note.operation ?? routeName(url?.pathname ?? '');
        metrics.requests.inc({ operation, outcome: note.errorCode ?? (res.statusCode < 400 ? 'OK' : `HTTP_${res.statusCode}`) });
        metrics.requestDuration.observe({ operation }, (performance.now() - started) / 1000);
        requestLog.info(
          {
            method: req.method,
            path: url?.pathname,
            operation: note.operation,
            status: res.statusCode,
            errorCode: note.errorCode,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        );
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`,
    async close() {
      await apollo.stop();
    },
  };
}
