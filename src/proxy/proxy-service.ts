import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { ConnectionRecord } from '../auth/records.js';
import type { Refresher } from '../auth/refresh.js';
import type { Sessions } from '../auth/sessions.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { envPrefix } from '../config/env-names.js';
import { plainLineWriter, type PlainFields } from '../log-line.js';
import type { Metrics } from '../metrics.js';
import type { ProviderRegistry, RuntimeProvider } from '../providers/registry.js';
import type { ProviderClient } from '../upstream/provider-client.js';
import type { UpstreamResponse } from '../upstream/upstream.js';
import { missingScopes, shapeAnswer, type ProxyAnswer, type ProxyCredential } from './answer.js';
import type { AppTokens } from './app-tokens.js';
import { decodeCursor } from './cursor.js';
import { requestHeaders } from './headers.js';
import type { ProxyPolicy } from './policy.js';
import type { ProxyMethod } from './rules.js';
import { apiBase, buildUrl, checkPath, checkQuery, type ApiBase } from './target.js';

/** Largest request body relayed (SPEC: 256 KiB). */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

export interface ProxyCall {
  provider: string;
  /** Absent: the gateway's own app token (client credentials). */
  sessionId?: string;
  method: ProxyMethod;
  request: {
    path: string;
    query?: ReadonlyArray<{ name: string; value: string }> | null;
    headers?: ReadonlyArray<{ name: string; value: string }> | null;
    after?: string | null;
  };
  /** A JSON value (writes only); undefined or null for none. */
  body?: unknown;
  /** The caller's `Authorization` header, for app-token calls (`Bearer <GATEWAY_API_KEY>`). */
  authorization?: string;
}

/** The credential a call is made with, and how to renew it once after a 401. */
interface Credential {
  kind: ProxyCredential;
  token: string;
  secrets: string[];
  /** A new token after the provider refused `token` with 401, or the error to answer. */
  renew(): Promise<string>;
}

/**
 * `providerRequest` / `callProvider`: checks the call against the provider's policy, adds the
 * credential, sends it through the provider client, and hands back the provider's answer as data.
 * Errors are only what SPEC "Calling the provider's API" names: a 401 gets one forced refresh (or
 * app-token refetch) and one replay; missing scope, rate limits and unavailability are typed errors.
 */
export class ProxyService {
  private readonly sessionLimiter: RateLimiter;
  private readonly appLimiter: RateLimiter;
  private readonly gatewayKeyDigest?: Buffer;
  private readonly timeoutMs: number;
  private readonly callLog: (fields: PlainFields) => void;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly sessions: Sessions,
    private readonly refresher: Refresher,
    private readonly client: ProviderClient,
    private readonly appTokens: AppTokens,
    private readonly policy: ProxyPolicy,
    logger: Logger,
    options: { gatewayApiKey?: string; proxyRateLimit: number; upstreamTimeoutMs: number },
    private readonly metrics?: Metrics,
  ) {
    this.sessionLimiter = new RateLimiter(options.proxyRateLimit, 60_000, 'provider API calls for this session');
    this.appLimiter = new RateLimiter(options.proxyRateLimit, 60_000, "provider API calls with this provider's app token");
    this.timeoutMs = options.upstreamTimeoutMs;
    // The call line has a fixed shape with nothing secret in it (ids, a path without its query, a
    // status), so it skips the redaction pass every other line pays for, as the request line does.
    this.callLog = plainLineWriter(logger, 'provider call');
    this.gatewayKeyDigest = options.gatewayApiKey === undefined ? undefined : digest(options.gatewayApiKey);
  }

  async call(call: ProxyCall): Promise<ProxyAnswer> {
    const started = performance.now();
    const credentialKind: ProxyCredential = call.sessionId ? 'USER' : 'APP';
    let path = call.request.path;
    let outcome = 'refused';
    let status: number | undefined;
    let ruleText: string | undefined;
    try {
      const provider = this.registry.known(call.provider);
      if (!provider)
        throw new AppError(ErrorCode.UNKNOWN_PROVIDER, `There is no provider "${call.provider}".`, { provider: call.provider });

      // 1. The target: checked before anything else is read, so a refused call costs nothing upstream.
      let query = checkQuery(call.request.query);
      if (call.request.after) {
        const cursor = decodeCursor(call.request.after, provider.id);
        path = cursor.path;
        query = checkQuery(cursor.query.map(([name, value]) => ({ name, value })));
      }
      const segments = checkPath(path);
      ruleText = this.policy.check(provider, credentialKind, call.method, path, segments).text;
      const body = requestBody(call.body);
      const headers = requestHeaders(call.request.headers, provider.definition.apiHeaders ?? {}, body !== undefined);
      const base = await this.base(provider, /^\/([^/]+)/.exec(path)?.[1]);
      const url = buildUrl(base, { path: path.slice(base.mount.length), segments, query });

      // 2. The credential.
      const credential = call.sessionId
        ? await this.userCredential(provider, call.sessionId)
        : await this.appCredential(provider, call.authorization);

      // 3. The call, and one replay after a 401 with a renewed credential (replaying is safe for any
      // method: the provider refused before acting).
      // Retried on 5xx and network errors only when it is a GET (RFC 9110 §9.2.2: the others are not safe).
      // One timeout budget for the call, retries included; a replay after a refresh gets its own.
      const send = (token: string) =>
        this.client.send(provider, token, {
          method: call.method,
          url,
          headers,
          body,
          idempotent: call.method === 'GET',
          deadline: Date.now() + this.timeoutMs,
        });
      let response = await send(credential.token);
      if (response.status === 401 && !missingScopes(response)) {
        const renewed = await credential.renew();
        credential.secrets.push(renewed);
        response = await send(renewed);
        if (response.status === 401 && !missingScopes(response)) throw credentialRefused(provider, credential.kind);
      }
      status = response.status;
      const needed = missingScopes(response);
      if (needed) {
        throw new AppError(
          ErrorCode.INSUFFICIENT_SCOPE,
          `${provider.definition.name} refused the call: the ${credential.kind === 'USER' ? 'connection' : 'app token'} lacks a required scope.`,
          {
            provider: provider.id,
            requiredScopes: needed,
          },
        );
      }
      const answer = shapeAnswer(response, { provider: provider.id, credential: credential.kind, base, secrets: credential.secrets });
      outcome = statusClass(response);
      return answer;
    } catch (error) {
      outcome = error instanceof AppError ? error.code : 'INTERNAL_SERVER_ERROR';
      throw error;
    } finally {
      this.metrics?.proxyCalled(this.registry.known(call.provider) ? call.provider : 'unknown', credentialKind, outcome);
      // The path only: query strings and bodies may carry personal data.
      this.callLog({
        provider: call.provider,
        credential: credentialKind,
        method: call.method,
        // A refused path may carry a query the caller should not have put there: cut it off too.
        path: path.split(/[?#]/)[0]!.slice(0, 256),
        rule: ruleText,
        status,
        outcome,
        durationMs: Math.round(performance.now() - started),
      });
    }
  }

  /** The base a path is sent to: a mount's when its first segment, as sent, names one; else the provider's API base. */
  private async base(provider: RuntimeProvider, firstSegment: string | undefined): Promise<ApiBase> {
    const mounts = provider.definition.proxy?.mounts;
    if (firstSegment !== undefined && mounts && Object.hasOwn(mounts, firstSegment)) {
      return this.parsedBase(provider.settings.apiMounts?.[firstSegment] ?? mounts[firstSegment]!, `/${firstSegment}`);
    }
    const { apiUrl } = await provider.endpoints();
    if (!apiUrl)
      throw new AppError(ErrorCode.PROXY_NOT_ALLOWED, `${provider.definition.name} has no API base URL configured.`, {
        provider: provider.id,
      });
    return this.parsedBase(apiUrl, '');
  }

  /** Bases come from configuration only, so there are few: each is parsed once. */
  private readonly bases = new Map<string, ApiBase>();
  private parsedBase(url: string, mount: string): ApiBase {
    const key = `${mount} ${url}`;
    let base = this.bases.get(key);
    if (!base) {
      base = apiBase(url, mount);
      this.bases.set(key, base);
    }
    return base;
  }

  private async userCredential(provider: RuntimeProvider, sessionId: string): Promise<Credential> {
    this.sessionLimiter.hit(sessionId);
    let { connection } = await this.sessions.live(sessionId, provider.id);
    return {
      kind: 'USER',
      token: connection.accessToken,
      secrets: userSecrets(provider, connection),
      renew: async () => {
        // No refresh token: the user must connect again; the connection itself is left as it is.
        if (!connection.refreshToken || !provider.configured) throw credentialRefused(provider, 'USER');
        connection = await this.refresher.refresh(sessionId, provider, connection);
        return connection.accessToken;
      },
    };
  }

  private async appCredential(provider: RuntimeProvider, authorization: string | undefined): Promise<Credential> {
    if (!this.gatewayKeyDigest) {
      throw new AppError(
        ErrorCode.PROXY_NOT_ALLOWED,
        'Calls without a sessionId use the app token, and this gateway has no GATEWAY_API_KEY: they are refused.',
        {
          provider: provider.id,
        },
      );
    }
    const given = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    // Digests of equal length make the comparison constant-time whatever the caller sent.
    if (!given || !timingSafeEqual(digest(given), this.gatewayKeyDigest)) {
      throw new AppError(ErrorCode.PROXY_NOT_ALLOWED, 'Calls without a sessionId need "Authorization: Bearer <GATEWAY_API_KEY>".', {
        provider: provider.id,
      });
    }
    if (!provider.configured || !provider.settings.appCredentials) {
      throw new AppError(
        ErrorCode.PROXY_NOT_ALLOWED,
        `${provider.definition.name} has no app credentials here (set ${envPrefix(provider.id)}_APP_CREDENTIALS=true).`,
        {
          provider: provider.id,
        },
      );
    }
    this.appLimiter.hit(provider.id);
    let token = await this.appTokens.token(provider);
    return {
      kind: 'APP',
      token,
      secrets: [token, provider.clientSecret],
      renew: async () => {
        await this.appTokens.discard(provider, token);
        token = await this.appTokens.token(provider);
        return token;
      },
    };
  }
}

function requestBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) > MAX_REQUEST_BODY_BYTES) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `The body is larger than ${MAX_REQUEST_BODY_BYTES} bytes.`, { fields: ['body'] });
  }
  return text;
}

function userSecrets(provider: RuntimeProvider, connection: ConnectionRecord): string[] {
  return [connection.accessToken, connection.refreshToken ?? '', provider.clientSecret];
}

function credentialRefused(provider: RuntimeProvider, kind: ProxyCredential): AppError {
  return kind === 'USER'
    ? new AppError(ErrorCode.REAUTH_REQUIRED, `${provider.definition.name} no longer accepts this connection; connect again.`, {
        provider: provider.id,
      })
    : new AppError(ErrorCode.APP_CREDENTIALS_FAILED, `${provider.definition.name} refused the gateway's app token twice.`, {
        provider: provider.id,
      });
}

function statusClass(response: UpstreamResponse): string {
  return response.status === 304 ? '304' : `${Math.floor(response.status / 100)}xx`;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
