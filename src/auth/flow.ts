import type { Logger } from 'pino';
import { BoundedMemo } from '../bounded-memo.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics.js';
import type { ProviderRegistry, RuntimeProvider } from '../providers/registry.js';
import { SealedStore } from '../store/store.js';
import type { Upstream } from '../upstream/upstream.js';
import { FlowBinding } from './binding.js';
import { validateIdToken } from './id-token.js';
import type { PendingStates } from './pending-states.js';
import { pkceChallenge, randomHandle } from './random.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ConnectionRecord, SessionRecord, StateRecord } from './records.js';
import type { Sessions } from './sessions.js';
import { requestTokens } from './token-endpoint.js';

export interface StartedAuth {
  provider: string;
  authorizationUrl: string;
  state: string;
  expiresAt: Date;
}

export interface CompletedAuth {
  sessionId: string;
  provider: string;
  scopes: string[];
  accessTokenExpiresAt?: number;
  sessionExpiresAt: number;
}

const stateKey = (state: string) => SealedStore.keyFor('state', state);

/** An authorization URL waiting for a flow's state, PKCE challenge and nonce. */
type FillIn = (state: string, challenge: string, nonce?: string) => string;

/** Where a flow's own values go in an authorization URL template: form-safe, and random, so no provider value holds one. */
const STAND_IN = { state: `S${randomHandle()}`, challenge: `C${randomHandle()}`, nonce: `N${randomHandle()}` };

/** `url` with the stand-ins it holds (each at most once) cut out, as a function that puts a flow's values there. */
function fillIn(url: string): FillIn {
  const found = (['state', 'challenge', 'nonce'] as const)
    .map((name) => ({ name, at: url.indexOf(STAND_IN[name]) }))
    .filter(({ at }) => at >= 0)
    .sort((a, b) => a.at - b.at);
  const pieces: string[] = [];
  // Which value goes after each piece: 0 the state, 1 the challenge, 2 the nonce.
  const slots: number[] = [];
  let from = 0;
  for (const { name, at } of found) {
    pieces.push(url.slice(from, at));
    slots.push(name === 'state' ? 0 : name === 'challenge' ? 1 : 2);
    from = at + STAND_IN[name].length;
  }
  const tail = url.slice(from);
  return (state, challenge, nonce = '') => {
    let out = '';
    for (let i = 0; i < pieces.length; i++) {
      const slot = slots[i];
      out += pieces[i]! + (slot === 0 ? state : slot === 1 ? challenge : nonce);
    }
    return out + tail;
  };
}

/** Authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636), knowing no provider by name. */
export class AuthFlow {
  constructor(
    private readonly store: SealedStore,
    private readonly registry: ProviderRegistry,
    private readonly sessions: Sessions,
    private readonly upstream: Upstream,
    private readonly limiter: RateLimiter,
    private readonly logger: Logger,
    private readonly stateTtlSeconds: number,
    private readonly binding: FlowBinding,
    private readonly pending: PendingStates,
    private readonly metrics?: Metrics,
  ) {}

  private readonly urlTemplates = new Map<string, FillIn>();

  /** The Set-Cookie value that binds the browser to the flows it starts. */
  bindingCookie(handle: string): string {
    return this.binding.setCookie(handle);
  }

  /**
   * Starts a flow bound to the browser whose binding handle `bind` gives (see FlowBinding): only a
   * request carrying that handle can finish it, linking flows (`options.sessionId`) included. `bind`
   * is called once the flow is admitted, so a refused start binds (and sets a cookie on) nothing.
   */
  async start(
    providerId: string,
    options: { scopes?: string[]; sessionId?: string },
    client: string,
    bind: () => string,
  ): Promise<StartedAuth> {
    const provider = this.registry.require(providerId);
    if (options.scopes) checkScopes(provider, options.scopes);
    this.limiter.hit(client);
    if (options.sessionId !== undefined) await this.sessions.require(options.sessionId);
    const endpoints = provider.knownEndpoints ?? (await provider.endpoints());
    // Anonymous callers fill a pool of their own: a full pool refuses new flows, it never evicts sessions.
    await this.pending.admit();

    const state = randomHandle();
    const record: StateRecord = {
      provider: provider.id,
      codeVerifier: randomHandle(),
      nonce: provider.definition.protocol === 'OIDC' ? randomHandle() : undefined,
      sessionId: options.sessionId,
      redirectUri: provider.settings.redirectUri,
      scopes: options.scopes ?? provider.defaultScopes,
      browser: FlowBinding.hash(bind()),
    };
    const expiresAt = new Date(Date.now() + this.stateTtlSeconds * 1000);
    await this.store.put(stateKey(state), record, this.stateTtlSeconds * 1000);

    const url = this.authorizationUrl(provider, endpoints.authorizationUrl, record.scopes);
    return { provider: provider.id, authorizationUrl: url(state, pkceChallenge(record.codeVerifier), record.nonce), state, expiresAt };
  }

  /**
   * The authorization URL of a provider's flows with these scopes, as a function of the three values
   * each flow has of its own (state, PKCE challenge, nonce). Everything else in the URL is the same for
   * every flow, so it is serialized once, with stand-ins where the three go, and each flow puts its
   * values in their places: they are base64url, which form encoding leaves as it is, so the URL is the
   * one `withQuery` would write.
   */
  private authorizationUrl(provider: RuntimeProvider, base: string, scopes: readonly string[]): FillIn {
    const key = `${provider.id} ${base} ${scopes.join(' ')}`;
    let url = this.urlTemplates.get(key);
    if (url === undefined) {
      const params: Record<string, string | undefined> = {
        ...provider.definition.authorizationParams,
        response_type: 'code',
        client_id: provider.clientId,
        redirect_uri: provider.settings.redirectUri,
        // No scopes (Zoom's and Notion's are set on the app): no `scope`, which Zoom has refused.
        scope: scopes.length > 0 ? scopes.join(provider.definition.scopeSeparator ?? ' ') : undefined,
        response_mode: provider.definition.responseMode === 'form_post' ? 'form_post' : undefined,
        state: STAND_IN.state,
        code_challenge: STAND_IN.challenge,
        code_challenge_method: 'S256',
        nonce: provider.definition.protocol === 'OIDC' ? STAND_IN.nonce : undefined,
      };
      url = fillIn(withQuery(base, params));
      // Scopes are the caller's choice: a bounded set of templates, started over when full.
      if (this.urlTemplates.size >= 256) this.urlTemplates.clear();
      this.urlTemplates.set(key, url);
    }
    return url;
  }

  /** Whether the provider answers its authorization requests with a form_post (a POST to the callback). */
  answersByFormPost(providerId: string): boolean {
    return this.registry.known(providerId)?.definition.responseMode === 'form_post';
  }

  /**
   * RFC 9207 §2.4: when the authorization server sends `iss` (or is known to), it must be its issuer,
   * and a server that advertises the parameter must send it; otherwise the response may come from
   * another server (mix-up attack), and its state is burned.
   */
  async checkIssuer(providerId: string, iss: string | undefined, state: string | undefined, browser: string | undefined): Promise<void> {
    const endpoints = await this.registry.require(providerId).endpoints();
    const mismatch = iss === undefined ? endpoints.issRequired : endpoints.issOnCallback && iss !== endpoints.issuer;
    if (!mismatch) return;
    this.metrics?.stateRejections.inc({ reason: iss === undefined ? 'missing_iss' : 'issuer_mismatch' });
    if (state) await this.burn(providerId, state, browser);
    throw new AppError(ErrorCode.INVALID_STATE, 'The authorization response came from an unexpected issuer.', { provider: providerId });
  }

  /**
   * Finishes a flow for the browser that started it (`browser`: the handle its cookie presented),
   * before anything is sent upstream. A state presented by another browser is refused and left
   * untouched, so a stranger's attempt never breaks the right browser's flow.
   */
  async complete(providerId: string, code: string, state: string, browser: string | undefined): Promise<CompletedAuth> {
    const provider = this.registry.require(providerId);
    const record = await this.claim(provider.id, state, browser);
    const endpoints = await provider.endpoints();
    const tokens = await requestTokens(this.upstream, provider, endpoints.tokenUrl, endpoints.clientAuth, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: record.redirectUri,
      code_verifier: record.codeVerifier,
    });

    let idTokenClaims;
    if (provider.definition.protocol === 'OIDC') {
      if (!tokens.idToken) {
        throw new AppError(ErrorCode.INVALID_ID_TOKEN, `${provider.definition.name} sent no ID token.`, { provider: provider.id });
      }
      idTokenClaims = await validateIdToken(provider, tokens.idToken, record.nonce);
    }

    let sessionId: string;
    let session: SessionRecord;
    if (record.sessionId !== undefined) {
      sessionId = record.sessionId;
      session = await this.sessions.require(sessionId);
    } else {
      ({ sessionId, record: session } = await this.sessions.create());
    }
    const connection: ConnectionRecord = {
      provider: provider.id,
      scopes: tokens.scopes ?? record.scopes,
      connectedAt: Date.now(),
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessTokenExpiresAt: tokens.expiresIn !== undefined ? Date.now() + tokens.expiresIn * 1000 : undefined,
      accessTokenObtainedAt: Date.now(),
      sessionExpiresAt: session.expiresAt,
      idTokenClaims,
    };
    await this.sessions.saveConnection(sessionId, connection);
    this.logger.info({ provider: provider.id, linked: record.sessionId !== undefined }, 'connection established');
    return {
      sessionId,
      provider: provider.id,
      scopes: connection.scopes,
      accessTokenExpiresAt: connection.accessTokenExpiresAt,
      sessionExpiresAt: session.expiresAt,
    };
  }

  /**
   * The callback's `error=` answer (RFC 6749 §4.1.2.1): its state is claimed so it cannot be used
   * again. A server in trouble is PROVIDER_UNAVAILABLE; any other refusal is ACCESS_DENIED.
   */
  async fail(providerId: string, error: string, state: string | undefined, browser: string | undefined): Promise<never> {
    if (state) await this.burn(providerId, state, browser);
    if (error === 'server_error' || error === 'temporarily_unavailable') {
      throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'The provider could not process the authorization.', { provider: providerId });
    }
    throw new AppError(ErrorCode.ACCESS_DENIED, 'The authorization was refused.', { provider: providerId });
  }

  /** The state's record, claimed atomically (of two concurrent completions one finds nothing), for its own browser only. */
  private async claim(providerId: string, state: string, browser: string | undefined): Promise<StateRecord> {
    const key = stateKey(state);
    const seen = await this.store.get<StateRecord>(key);
    let refusal: keyof typeof REFUSALS | undefined;
    if (!seen) refusal = 'unknown';
    else if (browser === undefined) refusal = 'no_binding';
    else if (seen.browser !== FlowBinding.hash(browser)) refusal = 'other_browser';
    else if (seen.provider !== providerId) {
      // Its own browser brought it to another provider's callback (a mix-up): it is used up.
      refusal = 'wrong_provider';
      await this.store.delete(key);
    }
    // The record was read above: the delete's count claims it, once (of two concurrent completions one finds nothing).
    if (seen && !refusal && (await this.store.delete(key))) return seen;
    this.metrics?.stateRejections.inc({ reason: refusal ?? 'unknown' });
    throw new AppError(ErrorCode.INVALID_STATE, REFUSALS[refusal ?? 'unknown'], { provider: providerId });
  }

  /** A refused response (error=, wrong issuer) uses its state up, when it came back to the browser that started it. */
  private async burn(providerId: string, state: string, browser: string | undefined): Promise<void> {
    const key = stateKey(state);
    const seen = await this.store.get<StateRecord>(key);
    if (seen && seen.provider === providerId && browser !== undefined && seen.browser === FlowBinding.hash(browser)) {
      await this.store.delete(key);
    }
  }
}

const REFUSALS = {
  unknown: 'The state is unknown, expired or already used.',
  wrong_provider: 'The state belongs to another provider.',
  no_binding:
    "The request carries no flow cookie: the browser that called startAuth must finish the flow (send credentials, e.g. fetch's credentials: 'include').",
  other_browser: 'The flow was started in another browser; only that browser can finish it.',
} as const;

/** SEC: `options.scopes` may only ask for the provider's defaults and its `P_ALLOWED_SCOPES` (RFC 9700 §2.3, least privilege). */
function checkScopes(provider: RuntimeProvider, scopes: readonly string[]): void {
  const allowed = provider.settings.allowedScopes;
  if (!allowed) return;
  const refused = scopes.find((scope) => !allowed.includes(scope) && !provider.defaultScopes.includes(scope));
  if (refused !== undefined) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `The scope "${refused}" may not be requested from ${provider.definition.name} here.`, {
      provider: provider.id,
      fields: ['options.scopes'],
    });
  }
}

/**
 * `base` with `params` set in its query, serialized as URLSearchParams does. A base without a query
 * or fragment (every built-in provider's) is extended as a string: parsing and re-serializing it as
 * a URL cost more than the rest of startAuth.
 */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  if (base.includes('?') || base.includes('#')) {
    const url = new URL(base);
    // A detached URLSearchParams: one attached to the URL re-serializes the whole query on every set.
    const query = new URLSearchParams(url.search);
    for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
    url.search = query.toString();
    return url.toString();
  }
  let query = '';
  for (const name in params) {
    const value = params[name];
    if (value !== undefined) query += `${query ? '&' : '?'}${formEncode(name)}=${formEncode(value)}`;
  }
  return base + query;
}

const FORM_SAFE = /^[A-Za-z0-9*\-._]*$/;

/** application/x-www-form-urlencoded (WHATWG URL §5.2): what URLSearchParams#toString writes. */
function formEncode(value: string): string {
  // The characters it leaves as they are: every handle, challenge and nonce is only these.
  if (FORM_SAFE.test(value)) return value;
  // The values that need encoding are the provider's own (redirect URI, default scopes, client id):
  // the same few strings on every startAuth, encoded once each. (A caller's own scopes pass here too.)
  return ENCODED.get(value);
}

const ENCODED = new BoundedMemo(
  (value: string) =>
    encodeURIComponent(value).replace(/%20|[!'()~]/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`)),
  256,
);
