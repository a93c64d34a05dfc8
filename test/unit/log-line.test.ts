import { describe, expect, it } from '@jest/globals';
import { pino, type LoggerOptions } from 'pino';
import { plainLineWriter, type PlainFields } from '../../src/log-line.js';
import { createLogger } from '../../src/log.js';

/** A logger writing into an array, and the line `logger.info` writes for the same fields. */
function both(options: LoggerOptions, line: PlainFields, message = 'request'): { written: string[]; expected: string[] } {
  const written: string[] = [];
  const expected: string[] = [];
  const target: string[][] = [written];
  const logger = pino(options, { write: (chunk: string) => void target[0]!.push(chunk) });
  // The same clock for both lines.
  const now = Date.now();
  const spy = Date.now;
  Date.now = () => now;
  try {
    plainLineWriter(logger, message)(line);
    target[0] = expected;
    logger.info(line, message);
  } finally {
    Date.now = spy;
  }
  return { written, expected };
}

const line: PlainFields = { method: 'POST', path: '/graphql', operation: 'profile', status: 200, durationMs: 1.3 };

describe('a fixed-shape log line', () => {
  it("is the line the logger's own info writes: level, time, bindings, fields, msg last", () => {
    for (const options of [{}, { base: undefined }, { level: 'debug' }]) {
      const { written, expected } = both(options, line);
      expect(written).toHaveLength(1);
      expect(written).toEqual(expected);
    }
    const { written } = both({}, { ...line, errorCode: 'SESSION_NOT_FOUND', status: 404 });
    expect(JSON.parse(written[0]!)).toMatchObject({ level: 30, msg: 'request', errorCode: 'SESSION_NOT_FOUND', status: 404 });
  });

  it('leaves out what is undefined and escapes what is not plain', () => {
    const { written, expected } = both({}, { path: '/a"b\\c\u2028', status: 400, durationMs: 0 });
    expect(written).toEqual(expected);
    expect(JSON.parse(written[0]!)).not.toHaveProperty('method');
    expect(JSON.parse(written[0]!).path).toBe('/a"b\\c\u2028');
  });

  it('writes booleans, numbers and any message as the logger does', () => {
    const fields = { provider: 'github', linked: true, status: 304, durationMs: Number.NaN, rule: undefined };
    const { written, expected } = both({}, fields, 'provider "call"');
    expect(written).toEqual(expected);
    expect(JSON.parse(written[0]!)).toEqual(
      expect.objectContaining({ linked: true, status: 304, durationMs: null, msg: 'provider "call"' }),
    );
  });

  it('is not written below the logger level', () => {
    expect(both({ level: 'warn' }, line).written).toEqual([]);
  });

  it('goes through the logger when it is set up otherwise (a mixin)', () => {
    const { written, expected } = both({ mixin: () => ({ replica: 'a' }) }, line);
    expect(written).toEqual(expected);
    expect(JSON.parse(written[0]!).replica).toBe('a');
  });

  it("reaches the gateway's own destination", () => {
    const logger = createLogger({ level: 'info', format: 'json', production: true });
    const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym]!;
    const seen: string[] = [];
    const write = stream.write.bind(stream);
    stream.write = (chunk: string) => void seen.push(chunk);
    try {
      plainLineWriter(logger, 'request')(line);
    } finally {
      stream.write = write;
    }
    expect(seen.map((s) => JSON.parse(s) as unknown)).toEqual([expect.objectContaining({ ...line, msg: 'request' })]);
  });
});
