/**
 * Allow-list rules of provider API calls: `METHOD /pattern`, where a pattern segment is a literal,
 * `*` (exactly one segment) or, as the last segment only, `**` (any number of segments, none
 * included: `GET /me/**` allows `/me` and `/me/playlists`). Literals are compared with the
 * request's segments once percent-decoded, case-sensitively, as providers route them.
 */
export const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type ProxyMethod = (typeof PROXY_METHODS)[number];

export interface ProxyRule {
  method: ProxyMethod;
  segments: readonly string[];
  /** The rule as written, for messages. */
  text: string;
}

// RFC 3986 §3.3 pchar, unencoded: what a literal pattern segment may hold.
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@]+$/;

/** The rule, or the reason it is malformed. */
export function parseRule(text: string): ProxyRule | string {
  const match = /^([A-Z]+) (\/\S*)$/.exec(text.trim());
  if (!match) return `"${text}" is not "METHOD /pattern"`;
  const method = match[1] as ProxyMethod;
  if (!PROXY_METHODS.includes(method)) return `"${text}": the method must be one of ${PROXY_METHODS.join(', ')}`;
  const segments = match[2] === '/' ? [] : match[2]!.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '**' && i === segments.length - 1) continue;
    if (segment === '*') continue;
    if (segment === '**') return `"${text}": ** may only be the last segment`;
    if (!LITERAL.test(segment) || segment === '.' || segment === '..') {
      return `"${text}": segment "${segment}" must be *, ** or plain characters (no empty, dot or encoded segments)`;
    }
  }
  return { method, segments, text: `${method} /${segments.join('/')}` };
}

/** Parses a list of rules, collecting the problems instead of stopping at the first. */
export function parseRules(texts: readonly string[]): { rules: ProxyRule[]; problems: string[] } {
  const rules: ProxyRule[] = [];
  const problems: string[] = [];
  for (const text of texts) {
    const rule = parseRule(text);
    if (typeof rule === 'string') problems.push(rule);
    else rules.push(rule);
  }
  return { rules, problems };
}

/** A rules variable's value: rules separated by commas or by whitespace that does not follow the method. */
export function splitRules(value: string): string[] {
  return value
    .split(/\s*,\s*|\s+(?=[A-Z]+\s+\/)/)
    .map((rule) => rule.trim().replace(/\s+/, ' '))
    .filter(Boolean);
}

/** The first rule that allows `method` on the (decoded) path segments, if any. */
export function findRule(rules: readonly ProxyRule[], method: string, segments: readonly string[]): ProxyRule | undefined {
  return rules.find((rule) => rule.method === method && segmentsMatch(rule.segments, segments));
}

function segmentsMatch(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part === '**') return true;
    if (i >= segments.length) return false;
    if (part !== '*' && part !== segments[i]) return false;
  }
  return pattern.length === segments.length;
}
