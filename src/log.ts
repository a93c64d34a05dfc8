import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Paths that may carry a secret are redacted even though the code never logs
 * them on purpose: a stray object in a log line must not leak a token.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        '*.accessToken', '*.refreshToken', '*.idToken', '*.access_token', '*.refresh_token', '*.id_token',
        '*.code', '*.state', '*.sessionId', '*.clientSecret', '*.client_secret', '*.authorization', '*.headers.authorization',
        '*.headers.cookie', 'variables', '*.variables',
      ],
      censor: '[redacted]',
    },
  });
}
