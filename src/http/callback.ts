import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AuthFlow } from '../auth/flow.js';
import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import { toAppError } from '../errors/translate.js';
import { HANDLE_PATTERN } from '../auth/random.js';
import { readBody, redirect, sendError, sendJson } from './respond.js';

export interface CallbackOptions {
  frontendCallbackUrl?: string;
  frontendSuccessUrl?: string;
}

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * The fields of a form_post authorization response (OAuth 2.0 Form Post Response Mode §2): an
 * urlencoded body, bounded like every other; anything else is BAD_USER_INPUT.
 */
export async function formPostParams(req: IncomingMessage, limit: number): Promise<URLSearchParams | AppError> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = await readBody(req, limit);
  if (type !== 'application/x-www-form-urlencoded') {
    return new AppError(ErrorCode.BAD_USER_INPUT, 'A POST callback must be an urlencoded form.');
  }
  return new URLSearchParams(body);
}

/**
 * `GET /callback/:provider` (or `POST`, for a provider that answers with form_post), where the
 * provider's redirect lands (RFC 6749 §4.1.2). Three modes: forward code and state to the frontend
 * (which calls `completeAuth`), complete here and redirect with `session_id`, or complete here and
 * answer JSON. Redirect targets come only from configuration.
 * `browser` is the flow-binding handle the request's cookie presented: a flow completes here only for
 * the browser that started it. Returns the error code the request ended with, for the request log.
 */
export async function handleCallback(
  res: ServerResponse,
  provider: string,
  fields: URLSearchParams | AppError,
  browser: string | undefined,
  flow: AuthFlow,
  options: CallbackOptions,
  logger: Logger,
  method = 'GET',
): Promise<string | undefined> {
  const query = fields instanceof AppError ? new URLSearchParams() : fields;
  const code = query.get('code') ?? undefined;
  const state = query.get('state') ?? undefined;
  const error = query.get('error') ?? undefined;
  const iss = query.get('iss') ?? undefined;

  try {
    if (!/^[a-z0-9-]{1,64}$/.test(provider)) throw new AppError(ErrorCode.UNKNOWN_PROVIDER, 'There is no such provider.');
    if (method === 'POST' && !flow.answersByFormPost(provider)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'This provider answers its callback with GET.', { provider });
    }
    if (fields instanceof AppError) throw fields;
    if (error === undefined && (!code || !state)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'The callback needs `code` and `state`, or `error`.', {
        fields: [!code ? 'code' : 'state'],
      });
    }
    if (code && code.length > 2048) throw new AppError(ErrorCode.BAD_USER_INPUT, 'The code is too long.', { fields: ['code'] });
    await flow.checkIssuer(provider, iss, state, browser);
    if (error !== undefined) await flow.fail(provider, error, state, browser);

    if (options.frontendCallbackUrl) {
      redirect(res, withParams(options.frontendCallbackUrl, { provider, code, state }));
      return undefined;
    }
    const done = await flow.complete(provider, code!, state!, browser);
    if (options.frontendSuccessUrl) {
      // The state goes along so the frontend can refuse a result for a flow it did not start.
      redirect(res, withParams(options.frontendSuccessUrl, { provider, session_id: done.sessionId, state }));
    } else {
      sendJson(res, 200, {
        sessionId: done.sessionId,
        provider: done.provider,
        scopes: done.scopes,
        accessTokenExpiresAt: done.accessTokenExpiresAt === undefined ? null : new Date(done.accessTokenExpiresAt).toISOString(),
        sessionExpiresAt: new Date(done.sessionExpiresAt).toISOString(),
      });
    }
    return undefined;
  } catch (caught) {
    const appError = toAppError(caught, logger);
    const target = options.frontendCallbackUrl ?? options.frontendSuccessUrl;
    if (target) {
      // The state goes back with the error so the frontend can match it to the flow it started; only
      // values of the gateway's own shape are reflected into the frontend's URL.
      redirect(
        res,
        withParams(target, {
          provider: appError.code === ErrorCode.UNKNOWN_PROVIDER ? undefined : provider,
          error: appError.code,
          state: state !== undefined && HANDLE_PATTERN.test(state) ? state : undefined,
        }),
      );
    } else {
      sendError(res, appError);
    }
    return appError.code;
  }
}
