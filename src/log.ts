import { pino, type DestinationStream, type Logger } from 'pino';
import { LineBuffer } from './log-buffer.js';
import { PrettyStream } from './log-pretty.js';

export type LogFormat = 'pretty' | 'json';

export interface LoggerOptions {
  level: string;
  /** Undefined: pretty on a terminal outside production, JSON otherwise. */
  format?: LogFormat;
  production?: boolean;
}

/** Written at most this long after a line when traffic is too low to fill the buffer. */
const FLUSH_INTERVAL_MS = 1000;

/** The format a logger writes when LOG_FORMAT is not set. */
export function defaultLogFormat(production: boolean, stdoutIsTTY = Boolean(process.stdout.isTTY)): LogFormat {
  return !production && stdoutIsTTY ? 'pretty' : 'json';
}

/**
 * Structured logs. Paths that may carry a secret are redacted even though the code never logs
 * them on purpose: a stray object in a log line must not leak a token.
 */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? defaultLogFormat(options.production ?? false);
  // Lines are buffered (16 KiB, see LineBuffer). The periodic flush bounds how long a line waits when
  // traffic is low, and what a crash can lose; a fatal line is written at once (see the hook below).
  const destination = new LineBuffer(1, 16 * 1024, FLUSH_INTERVAL_MS);
  const stream: DestinationStream = format === 'pretty' ? new PrettyStream(destination, Boolean(process.stdout.isTTY)) : destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= 60) flushLogsSync(this);
        },
      },
      redact: {
        paths: [
          '*.accessToken',
          '*.refreshToken',
          '*.idToken',
          '*.access_token',
          '*.refresh_token',
          '*.id_token',
          '*.code',
          '*.state',
          '*.sessionId',
          '*.clientSecret',
          '*.client_secret',
          '*.authorization',
          '*.headers.authorization',
          '*.headers.cookie',
          'variables',
          '*.variables',
        ],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/**
 * Writes what the logger has buffered before returning: for the start-up lines (a person is
 * waiting for them) and before the process exits on a crash. A logger on another stream (tests)
 * is left alone.
 */
export function flushLogsSync(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
  try {
    stream?.flushSync?.();
  } catch {
    // A closed or busy terminal must not turn a log flush into a crash of its own.
  }
}
