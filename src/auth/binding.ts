import { hash } from 'node:crypto';
import { HANDLE_PATTERN, randomHandle } from './random.js';

export type SameSite = 'lax' | 'strict' | 'none';

/**
 * The browser binding of a flow (RFC 6749 §10.12, RFC 9700 §4.7.1): `startAuth` gives the browser an
 * HttpOnly cookie holding a random handle, the state record keeps the handle's hash, and a flow is
 * finished only for a request that carries that cookie. A state alone is a bearer value; with the
 * binding, a callback URL or a linking URL opened in another browser finishes nothing.
 */
export class FlowBinding {
  static readonly COOKIE = 'gateway_flow';

  constructor(
    private readonly options: {
      /** `Secure` attribute: PUBLIC_URL is https (and always with SameSite=None, which browsers require). */
      secure: boolean;
      sameSite: SameSite;
      /** How long the cookie lives: a state's lifetime, renewed by each startAuth. */
      maxAgeSeconds: number;
    },
  ) {}

  /** The handle in a `Cookie` header, when it is one this gateway could have issued. */
  static presented(cookieHeader: string | undefined): string | undefined {
    if (!cookieHeader) return undefined;
    for (const pair of cookieHeader.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== FlowBinding.COOKIE) continue;
      const value = pair.slice(eq + 1).trim();
      if (HANDLE_PATTERN.test(value)) return value;
    }
    return undefined;
  }

  /** What the state record keeps: the handle itself never reaches the store. */
  static hash(handle: string): string {
    return hash('sha256', handle, 'base64url');
  }

  setCookie(handle: string): string {
    const sameSite = this.options.sameSite === 'none' ? 'None' : this.options.sameSite === 'strict' ? 'Strict' : 'Lax';
    const secure = this.options.secure || this.options.sameSite === 'none';
    return `${FlowBinding.COOKIE}=${handle}; Path=/; Max-Age=${this.options.maxAgeSeconds}; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
  }
}

/**
 * One request's view of the binding: the handle its cookie presented, and the cookie to set on the
 * answer when `startAuth` bound a flow to it.
 */
export class RequestBinding {
  private bound?: string;

  constructor(readonly presented: string | undefined) {}

  /** The handle a flow started by this request is bound to: the browser's own, or a new one for a new browser. */
  bind(): string {
    return (this.bound ??= this.presented ?? randomHandle());
  }

  /** The handle to put in a Set-Cookie header, once a flow was bound in this request. */
  get toSet(): string | undefined {
    return this.bound;
  }
}
