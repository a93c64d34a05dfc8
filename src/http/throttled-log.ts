import type { Logger } from 'pino';

/**
 * Warnings about abusive traffic (a cap reached, a timeout hit), at most one line per kind per
 * interval: the traffic that triggers them must not also flood the log. The next line of a kind
 * says how many were left out since the last.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  warn(event: string, fields: Record<string, string | number>, message: string): void {
    const now = Date.now();
    const entry = this.last.get(event);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ? { suppressed: entry.suppressed } : {};
    this.logger.warn({ event, ...fields, ...suppressed }, message);
    // One entry per event name, and the names are fixed in code: the map stays small.
    this.last.set(event, { at: now, suppressed: 0 });
  }
}
