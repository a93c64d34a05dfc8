import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { UpstreamResponse } from '../upstream/upstream.js';
import type { ApiBase } from './target.js';
import { relativeToBase } from './target.js';

const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 1024;

/** Request headers a caller may send (reference design §3.4): content negotiation and conditions. */
const REQUEST_HEADERS = new Set([
  'accept',
  'accept-language',
  'content-type',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
]);

/**
 * Headers the gateway owns or that would change where or how the request goes: credentials, the
 * target host, proxies' hop information, and framing (RFC 9110 §7.6.1 hop-by-hop, RFC 9112 §6).
 * Asking for one is refused as PROXY_NOT_ALLOWED, not silently dropped.
 */
const NEVER_SENT =
  /^(authorization|cookie|host|forwarded|proxy-.*|x-forwarded-.*|x-real-ip|connection|keep-alive|te|trailer|transfer-encoding|upgrade|content-length|expect|user-agent)$/;

/** Response headers a caller receives; `set-cookie`, hop-by-hop and framing headers never pass. */
const RESPONSE_HEADERS = new Set([
  'content-type',
  'content-language',
  'content-range',
  'etag',
  'last-modified',
  'cache-control',
  'expires',
  'retry-after',
  'link',
  'vary',
  'x-request-id',
  'x-github-request-id',
  'x-oauth-scopes',
  'x-accepted-oauth-scopes',
]);
const RESPONSE_PREFIXES = ['x-ratelimit-'];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The caller's request headers, checked: names are tokens, listed once, on the allow-list (or among
 * the provider's own API headers, such as GitHub's `x-github-api-version`); values hold no control
 * character. `content-type` only with a body.
 */
export function requestHeaders(
  headers: ReadonlyArray<{ name: string; value: string }> | null | undefined,
  providerHeaders: Readonly<Record<string, string>>,
  hasBody: boolean,
): Record<string, string> {
  const list = headers ?? [];
  const bad = (message: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, { fields: ['request.headers'] });
  if (list.length > MAX_HEADERS) throw bad(`At most ${MAX_HEADERS} request headers.`);
  const out: Record<string, string> = {};
  for (const { name: given, value } of list) {
    const name = given.toLowerCase();
    if (!TOKEN.test(given) || given.length > 64) throw bad(`"${given.slice(0, 64)}" is not a header name.`);
    if (NEVER_SENT.test(name)) {
      throw new AppError(
        ErrorCode.PROXY_NOT_ALLOWED,
        `The header "${name}" is never relayed: the gateway sets it, or it is not the caller's to set.`,
      );
    }
    const known = REQUEST_HEADERS.has(name) || (name in providerHeaders && name !== 'user-agent');
    if (!known) throw bad(`The header "${name}" is not on the request allow-list.`);
    if (name === 'content-type' && !hasBody) throw bad('content-type is only sent with a body.');
    if (name in out) throw bad(`The header "${name}" is given twice.`);
    if (value.length > MAX_HEADER_VALUE || BAD_VALUE.test(value))
      throw bad(`The value of "${name}" is too long or holds a control character.`);
    out[name] = value;
  }
  return out;
}

/**
 * The provider's answer headers a caller may read. A `location` is kept only inside the API base,
 * made relative to it (it is not followed: the token never goes to a redirect's target).
 */
export function responseHeaders(response: UpstreamResponse, base: ApiBase): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, raw] of Object.entries(response.headers)) {
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    const values = Array.isArray(raw) ? raw : [raw];
    if (lower === 'location') {
      const inside = relativeToBase(base, values[0]!);
      if (inside) {
        const search = inside.query.length > 0 ? `?${new URLSearchParams(inside.query).toString()}` : '';
        out.push({ name: lower, value: `${inside.path}${search}` });
      }
      continue;
    }
    if (!RESPONSE_HEADERS.has(lower) && !RESPONSE_PREFIXES.some((p) => lower.startsWith(p))) continue;
    for (const value of values) out.push({ name: lower, value });
  }
  return out;
}
