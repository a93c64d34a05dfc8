import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** How long a write to a full non-blocking pipe is retried before its chunk is dropped. */
const MAX_WAIT_MS = 1000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * pino's destination: lines are collected in memory and written to a file descriptor in one
 * synchronous write per `chunkBytes`, and at least every `flushIntervalMs` when traffic is too low
 * to fill a chunk. One write per request line would cost more than the request's own work; pino's
 * SonicBoom buffers too, but measures the UTF-8 length of its whole pending buffer on every line
 * (a flatten of up to 16 KiB per line), which cost a busy gateway several microseconds per line.
 * Writing synchronously keeps the lines in order and loses none on exit: `flushSync` before
 * `process.exit` writes everything.
 */
export class LineBuffer implements DestinationStream {
  private lines: string[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly fd: number,
    private readonly chunkBytes = 16 * 1024,
    flushIntervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.flushSync(), flushIntervalMs).unref();
  }

  write(line: string): void {
    this.lines.push(line);
    // String length, not UTF-8 bytes: the chunk size only needs to be about right.
    this.size += line.length;
    if (this.size >= this.chunkBytes) this.flushSync();
  }

  /** pino's `logger.flush()`: written before the callback. */
  flush(cb?: (error?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  flushSync(): void {
    if (this.lines.length === 0) return;
    const data = Buffer.from(this.lines.join(''), 'utf8');
    this.lines = [];
    this.size = 0;
    writeAll(this.fd, data);
  }

  close(): void {
    clearInterval(this.timer);
    this.flushSync();
  }
}

/**
 * Writes all of `data`, retrying a full non-blocking pipe for at most MAX_WAIT_MS. A destination that
 * fails otherwise (a closed pipe) drops the chunk: nothing could read the lines, and a failed log
 * write must not fail the request that wrote it.
 */
function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  let waitedMs = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || waitedMs >= MAX_WAIT_MS) return;
      Atomics.wait(sleeper, 0, 0, 1);
      waitedMs++;
    }
  }
}
