import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { header, type UpstreamResponse } from '../upstream/upstream.js';
import { encodeCursor } from './cursor.js';
import { responseHeaders } from './headers.js';
import { relativeToBase, type ApiBase } from './target.js';

export type ProxyCredential = 'USER' | 'APP';

/** What `providerRequest` / `callProvider` answer (the GraphQL `ProviderResponse`). */
export interface ProxyAnswer {
  provider: string;
  credential: ProxyCredential;
  status: number;
  ok: boolean;
  notModified: boolean;
  headers: Array<{ name: string; value: string }>;
  contentType: string | null;
  json: unknown;
  /** The text `json` was parsed from, when it was. */
  jsonText?: string;
  text: string | null;
  pageInfo: { hasNextPage: boolean; nextCursor: string | null };
  rateLimit: { limit: number | null; remaining: number | null; resetAt: Date | null } | null;
}

// Media types whose bodies are text; anything else is binary, which a JSON answer cannot carry.
const TEXT_TYPE = /^(text\/|application\/([\w.+-]+\+)?(json|xml)$|application\/(javascript|x-www-form-urlencoded|problem\+json)$)/;
const JSON_TYPE = /^application\/([\w.+-]+\+)?json$/;

/**
 * The scopes the provider says the call needs, when its refusal is for missing scope: an RFC 6750
 * §3.1 `insufficient_scope` challenge (its `scope` parameter), or GitHub's 403/404 whose
 * `x-accepted-oauth-scopes` names none of the token's `x-oauth-scopes`
 * (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).
 */
export function missingScopes(response: UpstreamResponse): string[] | undefined {
  const challenge = header(response, 'www-authenticate') ?? '';
  if (/error="?insufficient_scope"?/i.test(challenge)) {
    const scope = /scope="([^"]*)"/i.exec(challenge)?.[1] ?? '';
    return scope.split(/\s+/).filter(Boolean);
  }
  const accepted = splitScopes(header(response, 'x-accepted-oauth-scopes'));
  if ((response.status === 403 || response.status === 404) && accepted.length > 0) {
    const granted = splitScopes(header(response, 'x-oauth-scopes'));
    if (!accepted.some((scope) => granted.includes(scope))) return accepted;
  }
  return undefined;
}

const splitScopes = (value: string | undefined) => (value ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * Shapes the provider's answer for the caller: allow-listed headers, the body as JSON or text,
 * the next page as an opaque cursor, rate-limit figures. `secrets` are the token and client secret
 * in use: an answer that holds one is refused rather than relayed.
 */
export function shapeAnswer(
  response: UpstreamResponse,
  ctx: { provider: string; credential: ProxyCredential; base: ApiBase; secrets: readonly string[] },
): ProxyAnswer {
  const headers = responseHeaders(response, ctx.base);
  for (const secret of ctx.secrets) {
    if (secret && (response.text.includes(secret) || headers.some((h) => h.value.includes(secret)))) {
      throw new AppError(ErrorCode.PROVIDER_ERROR, `${ctx.provider} answered with a credential in its body; the answer is withheld.`, {
        provider: ctx.provider,
      });
    }
  }
  const contentType = header(response, 'content-type') ?? null;
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let json: unknown = null;
  let jsonText: string | undefined;
  let text: string | null = null;
  if (response.text.length > 0) {
    if (media && !TEXT_TYPE.test(media)) {
      throw new AppError(
        ErrorCode.PROXY_NOT_ALLOWED,
        `${ctx.provider} answered a binary body (${media.slice(0, 100)}), which is not relayed.`,
        {
          provider: ctx.provider,
        },
      );
    }
    json = JSON_TYPE.test(media) ? parseOrUndefined(response.text) : undefined;
    if (json === undefined) {
      json = null;
      text = response.text;
    } else {
      jsonText = response.text;
    }
  }
  // The next page is worked out when a field asks for it (most reads do not): from the Link header
  // and the body's own `next` URL, which are all it keeps of the answer, so the parsed body is not
  // held past this call.
  const page = pageInfoWhenAsked(header(response, 'link'), nextInBody(json), ctx);
  return {
    provider: ctx.provider,
    credential: ctx.credential,
    status: response.status,
    ok: response.status >= 200 && response.status < 300,
    notModified: response.status === 304,
    headers,
    contentType,
    json,
    jsonText,
    text,
    get pageInfo() {
      return page();
    },
    rateLimit: rateLimit(response),
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The next page: a `Link: <…>; rel="next"` (RFC 8288; GitHub), else a `next` URL in the body, at the
 * top level or in the one paging object the body holds (Spotify's paging objects). A next URL that
 * leaves the API base ends paging. Worked out on the first call, once.
 */
function pageInfoWhenAsked(
  link: string | undefined,
  inBody: string | undefined,
  ctx: { provider: string; base: ApiBase },
): () => ProxyAnswer['pageInfo'] {
  let info: ProxyAnswer['pageInfo'] | undefined;
  return () => {
    if (info === undefined) {
      const next = nextInLink(link) ?? inBody;
      const inside = next === undefined ? undefined : relativeToBase(ctx.base, next);
      const nextCursor = inside ? encodeCursor({ provider: ctx.provider, path: inside.path, query: inside.query }) : null;
      info = { hasNextPage: nextCursor !== null, nextCursor };
    }
    return info;
  };
}

function nextInLink(link: string | undefined): string | undefined {
  let next: string | undefined;
  for (const part of (link ?? '').split(/,\s*(?=<)/)) {
    const m = /^<([^>]*)>(.*)$/.exec(part.trim());
    if (m && /;\s*rel\s*=\s*"?(?:[^"]*\s)?next(?:\s[^"]*)?"?\s*(?:;|$)/i.test(m[2]!)) next = m[1];
  }
  return next;
}

function nextInBody(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  if (typeof body.next === 'string') return body.next;
  const pagers = Object.values(body).filter(
    (v): v is Record<string, unknown> => v !== null && typeof v === 'object' && typeof (v as { next?: unknown }).next === 'string',
  );
  return pagers.length === 1 ? (pagers[0]!.next as string) : undefined;
}

function rateLimit(response: UpstreamResponse): ProxyAnswer['rateLimit'] {
  const num = (name: string) => {
    const value = Number(header(response, name));
    return header(response, name) !== undefined && Number.isFinite(value) ? value : null;
  };
  const limit = num('x-ratelimit-limit');
  const remaining = num('x-ratelimit-remaining');
  const reset = num('x-ratelimit-reset');
  if (limit === null && remaining === null && reset === null) return null;
  return { limit, remaining, resetAt: reset === null ? null : new Date(reset * 1000) };
}
