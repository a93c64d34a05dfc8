/**
 * A user at oidc-provider's development login and consent pages, without a browser: fetch with manual
 * redirects, a cookie jar, and the forms read from the HTML the provider serves.
 */

export interface AuthorizeOptions {
  /** Press "Cancel" instead of going on: at the consent page (`true`, `'consent'`) or at the login page. */
  deny?: boolean | 'login' | 'consent';
  /** The name typed at the login form; the demo provider signs in its one user whatever it is. */
  login?: string;
  /** Reuse a browser's cookies (the provider's session) across authorizations. */
  jar?: CookieJar;
}

/** Cookies for one host, matched by path (RFC 6265 §5.1.4); enough for the provider's interaction and session cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const gone = value === '' || Number(attribute('max-age')) <= 0 || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone) this.cookies.delete(`${name};${path}`);
      else this.cookies.set(`${name};${path}`, { name, value, path });
    }
  }

  header(url: URL): string | undefined {
    const matching = [...this.cookies.values()].filter(
      ({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`),
    );
    return matching.length > 0 ? matching.map(({ name, value }) => `${name}=${value}`).join('; ') : undefined;
  }
}

/**
 * Follows an authorization URL through login and consent until the provider redirects away from
 * itself (to the client's redirect URI), and returns that redirect: `?code&state&iss`, or `?error=...`.
 */
export async function authorizeInteractively(authorizationUrl: string, options: AuthorizeOptions = {}): Promise<URL> {
  const jar = options.jar ?? new CookieJar();
  const denyAt = options.deny === true ? 'consent' : options.deny || undefined;
  const provider = new URL(authorizationUrl).origin;
  let next: { url: URL; form?: URLSearchParams } = { url: new URL(authorizationUrl) };

  for (let step = 0; step < 12; step++) {
    const headers: Record<string, string> = {};
    const cookie = jar.header(next.url);
    if (cookie) headers.cookie = cookie;
    if (next.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(next.url, {
      method: next.form ? 'POST' : 'GET',
      headers,
      body: next.form?.toString(),
      redirect: 'manual',
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, next.url);
      if (target.origin !== provider) return target;
      next = { url: target };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200)
      throw new Error(`the provider answered HTTP ${response.status} at ${next.url.pathname}: ${html.slice(0, 300)}`);
    const form = readForm(html, next.url);
    if (denyAt !== undefined && form.fields.get('prompt') === denyAt) {
      next = { url: cancelLink(html, next.url) };
      continue;
    }
    if (form.fields.has('login')) {
      form.fields.set('login', options.login ?? 'someone');
      form.fields.set('password', 'any password');
    }
    next = { url: form.action, form: form.fields };
  }
  throw new Error(`no redirect back to the client after 12 steps, starting at ${authorizationUrl}`);
}

/** The harness's `AuthorizingFake`: a user who signs in and consents (or cancels) at the provider. */
export function oidcUser(defaults: Omit<AuthorizeOptions, 'deny'> = {}) {
  return {
    authorize: (authorizationUrl: string, options: AuthorizeOptions = {}) =>
      authorizeInteractively(authorizationUrl, { ...defaults, ...options }),
  };
}

function readForm(html: string, base: URL): { action: URL; fields: URLSearchParams } {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  const action = form ? attributes(form[1]!).get('action') : undefined;
  if (!form || action === undefined) throw new Error(`no form on the provider's page at ${base.pathname}: ${html.slice(0, 300)}`);
  const fields = new URLSearchParams();
  for (const [input] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const attrs = attributes(input);
    const name = attrs.get('name');
    if (name !== undefined) fields.set(name, attrs.get('value') ?? '');
  }
  return { action: new URL(action, base), fields };
}

function cancelLink(html: string, base: URL): URL {
  const link = /<a\s+href="([^"]*)"[^>]*>\s*\[\s*Cancel\s*\]\s*<\/a>/i.exec(html);
  if (!link) throw new Error(`no Cancel link on the provider's page at ${base.pathname}`);
  return new URL(decodeEntities(link[1]!), base);
}

function attributes(tag: string): Map<string, string> {
  return new Map([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, name, value]) => [name!.toLowerCase(), decodeEntities(value!)]));
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, body: string) => {
    if (body[0] !== '#') return named[body.toLowerCase()] ?? entity;
    return String.fromCodePoint(body[1]?.toLowerCase() === 'x' ? parseInt(body.slice(2), 16) : Number(body.slice(1)));
  });
}
