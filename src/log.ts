import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Paths that may carry a secret are redacted even though the code never logs
 * them on purpose: a stray object in a log line must not leak a token.
 */
export function createLogger(level: string): Logger {
  // Lines are buffered (4 kB) and written asynchronously: one write per request line would cost more
  // than the request's own work. main.ts flushes the buffer on shutdown.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino(
    {
      level,
      base: undefined,
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
    destination,
  );
}
