import { BoundedMemo } from '../bounded-memo.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { requestTarget } from '../upstream/upstream.js';

/** Longest `request.path` accepted. */
export const MAX_PATH_LENGTH = 2048;
export const MAX_QUERY_PARAMS = 50;
const MAX_QUERY_VALUE = 2048;

// RFC 3986 §3.3: pchar and "/" only. Anything else (space, "?", "#", "\", controls, non-ASCII,
// a "%" not followed by two hex digits) is refused rather than encoded on the caller's behalf.
const PATH_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
// Parameters that carry credentials: the gateway adds the credential itself, in a header.
const CREDENTIAL_PARAMS = new Set(['access_token', 'refresh_token', 'id_token', 'client_id', 'client_secret']);

/** A checked request target: its path relative to the API base, decoded segments (for rules), query. */
export interface ProxyTarget {
  path: string;
  segments: readonly string[];
  query: Array<[string, string]>;
}

const refuse = (message: string, field = 'request.path') => new AppError(ErrorCode.BAD_USER_INPUT, message, { fields: [field] });

/**
 * Checks a caller's relative path (reference design §3.3): one leading "/", no empty segment (so no
 * `//host`), no dot segment in any encoding (".", "..", "%2e%2e", "..%2F", and "%25" double
 * encoding), no backslash or control character even encoded. "%2F" inside a segment is kept
 * encoded, as APIs that take `group%2Fproject` expect.
 */
export function checkPath(path: string): readonly string[] {
  return path.length <= REMEMBERED_PATH_LENGTH ? CHECKED_PATHS.get(path) : segmentsOf(path);
}

/** Paths already found good, with their segments (frozen: every caller shares them); refusals are not kept. */
const REMEMBERED_PATH_LENGTH = 256;
const CHECKED_PATHS = new BoundedMemo((path: string) => Object.freeze(segmentsOf(path)), 1000);

function segmentsOf(path: string): string[] {
  if (path.length > MAX_PATH_LENGTH) throw refuse(`The path is longer than ${MAX_PATH_LENGTH} characters.`);
  if (!path.startsWith('/')) throw refuse('The path must be relative to the API base and start with "/" (no absolute URL).');
  if (!PATH_CHARS.test(path)) {
    throw refuse('The path may hold only URL path characters and %XX escapes (no space, "?", "#", "\\" or control character).');
  }
  if (/%25/.test(path)) throw refuse('The path may not hold an encoded "%" (double encoding).');
  const raw = path === '/' ? [] : path.slice(1).split('/');
  return raw.map((segment) => {
    if (segment === '') throw refuse('The path may not hold an empty segment ("//").');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw refuse('The path holds an escape that is not UTF-8.');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f\\]/.test(decoded)) throw refuse('The path may not hold a control character or a backslash, even encoded.');
    if (decoded.split('/').some((part) => part === '.' || part === '..')) {
      throw refuse('The path may not hold a dot segment ("." or ".."), even encoded.');
    }
    return decoded;
  });
}

/** Checks the query parameters; credential-carrying names are refused. */
export function checkQuery(query: ReadonlyArray<{ name: string; value: string }> | null | undefined): Array<[string, string]> {
  const params = query ?? [];
  if (params.length > MAX_QUERY_PARAMS) throw refuse(`At most ${MAX_QUERY_PARAMS} query parameters.`, 'request.query');
  return params.map(({ name, value }) => {
    if (name === '' || name.length > 256) throw refuse('A query parameter name must be 1 to 256 characters.', 'request.query');
    if (value.length > MAX_QUERY_VALUE) throw refuse(`A query parameter value is longer than ${MAX_QUERY_VALUE}.`, 'request.query');
    if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
      throw refuse(`The query parameter "${name}" is refused: the gateway adds the credential itself.`, 'request.query');
    }
    return [name, value];
  });
}

/**
 * The API base split once: origin and path without a trailing slash. `mount` is the caller-side
 * path prefix of a second base (Google's `/people` for https://people.googleapis.com), '' for the
 * provider's own base: paths the provider hands back are relative to the base, and the caller's
 * are that plus the mount.
 */
export interface ApiBase {
  origin: string;
  path: string;
  mount: string;
}

export function apiBase(url: string, mount = ''): ApiBase {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, ''), mount };
}

/**
 * The URL to call: joined as strings (a `new URL(path, base)` would drop the base's own path, such as
 * Spotify's `/v1`), re-parsed, and checked to stay on the base's origin and under its path. The check
 * is made on the URL without its query: `target.path` holds no "?" or "#" (checkPath) and the query is
 * encoded by URLSearchParams, so the query cannot change the origin or the path the parser finds. A
 * query-less URL is parsed once (the upstream client's memo, which the call then finds it in).
 */
export function buildUrl(base: ApiBase, target: ProxyTarget): string {
  const search = target.query.length > 0 ? `?${new URLSearchParams(target.query).toString()}` : '';
  const url = `${base.origin}${base.path}${target.path}`;
  const parsed = requestTarget(url);
  if (parsed.origin !== base.origin || !(parsed.path === base.path || parsed.path.startsWith(`${base.path}/`))) {
    throw refuse('The path does not stay under the API base.');
  }
  return url + search;
}

// A URL under the base that the URL parser would hand back unchanged: path characters and %XX
// escapes only, no dot segment, no encoded dot (which the parser reads as one), and a query of plain
// characters. Such a URL is read without parsing; any other goes through the parser.
const PLAIN_REST = /^(?:\/(?:[A-Za-z0-9\-_~!$&'()*+,;=:@]|\.(?![./?]|$)|%[0-9A-Fa-f]{2})*)+(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;

/**
 * The path and query of a URL the provider gave (a `Link` or `next` URL), relative to the base;
 * undefined when it leaves the base (another origin or path), which ends paging there.
 */
export function relativeToBase(base: ApiBase, url: string): { path: string; query: Array<[string, string]> } | undefined {
  const prefix = `${base.origin}${base.path}`;
  const rest = url.startsWith(`${prefix}/`) ? url.slice(prefix.length) : undefined;
  if (rest !== undefined && PLAIN_REST.test(rest) && !/%2e/i.test(url)) {
    const q = rest.indexOf('?');
    const path = q < 0 ? rest : rest.slice(0, q);
    return { path: base.mount + path, query: q < 0 ? [] : [...new URLSearchParams(rest.slice(q + 1)).entries()] };
  }
  let parsed: URL;
  try {
    parsed = new URL(url, `${prefix}/`);
  } catch {
    return undefined;
  }
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(`${base.path}/`)) return undefined;
  return { path: base.mount + parsed.pathname.slice(base.path.length), query: [...parsed.searchParams.entries()] };
}
