import type { DestinationStream } from 'pino';

/** The part of pino's SonicBoom destination the pretty stream writes through. */
interface Destination extends DestinationStream {
  flush(cb?: (error?: Error) => void): void;
  flushSync(): void;
}

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/**
 * A terminal's view of pino's JSON lines: `12:01:02.345 WARN  message key=value …`, an error's
 * stack on the lines below. It reads the JSON pino wrote (after redaction), so it shows nothing the
 * JSON would not, and buffers through the same destination.
 */
export class PrettyStream implements DestinationStream {
  constructor(
    private readonly destination: Destination,
    private readonly color: boolean,
  ) {}

  write(line: string): void {
    this.destination.write(formatLine(line, this.color));
  }

  flush(cb?: (error?: Error) => void): void {
    this.destination.flush(cb);
  }

  flushSync(): void {
    this.destination.flushSync();
  }
}

/** One JSON log line as a human-readable line (or the line itself when it is not pino's JSON). */
export function formatLine(line: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time, msg, err, ...fields } = record;
  const known = LEVELS[Number(level)] ?? { name: String(level).padEnd(5), color: '0' };
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  if (typeof err === 'string') fields.err = err;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${paint('90', `${key}=`)}${typeof value === 'string' ? quoteIfNeeded(value) : JSON.stringify(value)}`);
  const error = typeof err === 'object' && err !== null ? (err as { message?: string; stack?: string }) : undefined;
  const stack = error?.stack
    ? `\n    ${error.stack.split('\n').join('\n    ')}`
    : error?.message
      ? ` err=${quoteIfNeeded(error.message)}`
      : '';
  return `${clock} ${paint(known.color, known.name)} ${String(msg ?? '')}${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}${stack}\n`;
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}
