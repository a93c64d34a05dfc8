import { existsSync } from 'node:fs';
import { ConfigError } from './config/load-config.js';
import { startGateway } from './gateway.js';

// Boot only: load .env when present, start, and stop cleanly on SIGTERM/SIGINT.
if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const gateway = await startGateway();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    gateway.close().then(
      () => {
        clearTimeout(force);
        gateway.logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A crash says why in the log, and loses no buffered line: a fatal line is written synchronously
  // with everything before it (src/log.ts).
  const crash = (kind: string) => (error: unknown) => {
    gateway.logger.fatal({ err: error }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`The gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}
