import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/config.js';
import { sendJson } from './respond.js';

/**
 * Request headers a listed origin may send (Fetch standard, CORS protocol): content-type and Apollo's
 * CSRF-prevention headers, Apollo Client's client-awareness headers, authorization, and any extra
 * ones from CORS_ALLOWED_HEADERS.
 */
const ALLOWED_HEADERS = [
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'authorization',
];

export type CorsOutcome = 'continue' | 'answered';

/**
 * CORS for cross-origin frontends. A listed origin gets its own origin back with
 * `Access-Control-Allow-Credentials: true`, so a browser sends the gateway's cookie
 * (`credentials: 'include'`); `*` allows any origin, never with credentials (the Fetch standard
 * forbids the pair). An origin that is neither listed nor the gateway's own is told, in a JSON
 * answer, to be listed: otherwise the developer only sees "Failed to fetch".
 */
export function corsPolicy(config: Pick<Readonly<Config>, 'corsOrigins' | 'corsAllowedHeaders' | 'publicUrl'>) {
  const listed = new Set(config.corsOrigins.filter((origin) => origin !== '*'));
  const any = config.corsOrigins.includes('*');
  const allowHeaders = [...new Set([...ALLOWED_HEADERS, ...config.corsAllowedHeaders])].join(', ');
  const own = new URL(config.publicUrl).origin;

  return function cors(req: IncomingMessage, res: ServerResponse, path: string | undefined): CorsOutcome {
    const origin = req.headers.origin;
    // The answer depends on Origin whenever specific origins are listed: caches must keep them apart.
    if (listed.size > 0) res.setHeader('vary', 'origin');
    const preflight = req.method === 'OPTIONS';
    if (!origin) return 'continue';
    if (listed.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    } else if (any) {
      res.setHeader('access-control-allow-origin', '*');
    } else if (isSameOrigin(origin, own, req)) {
      return 'continue';
    } else if (preflight || path === '/graphql') {
      // Other routes (the provider's form_post to the callback, static files) are not CORS reads.
      refuse(res, origin, preflight);
      return 'answered';
    } else {
      return 'continue';
    }
    if (!preflight) return 'continue';
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', allowHeaders);
    res.setHeader('access-control-max-age', '600');
    res.writeHead(204).end();
    return 'answered';
  };
}

/** The page's own origin: PUBLIC_URL's, or the Host it was loaded from (http://localhost:4000 too). */
function isSameOrigin(origin: string, own: string, req: IncomingMessage): boolean {
  return (
    origin === own ||
    (req.headers.host !== undefined && (origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`))
  );
}

function refuse(res: ServerResponse, origin: string, preflight: boolean): void {
  // Echoed only when it has the shape of an origin (bounded, no control characters).
  const shown = /^https?:\/\/[\w.:[\]-]{1,253}$/.test(origin) ? origin : 'this origin';
  sendJson(res, 403, {
    error: 'CORS_ORIGIN_NOT_ALLOWED',
    message: `${preflight ? 'Cross-origin requests' : 'Requests'} from ${shown} are not allowed: list it in CORS_ORIGINS (e.g. CORS_ORIGINS=${shown === 'this origin' ? 'http://127.0.0.1:5173' : shown}).`,
  });
}
