import { describe, expect, it } from '@jest/globals';
import { defaultLogFormat } from '../../src/log.js';
import { formatLine } from '../../src/log-pretty.js';

describe('the log format', () => {
  it('is pretty on a terminal outside production, and JSON in production or into a pipe', () => {
    expect(defaultLogFormat(false, true)).toBe('pretty');
    expect(defaultLogFormat(false, false)).toBe('json');
    expect(defaultLogFormat(true, true)).toBe('json');
  });

  it('shows a line as time, level name, message and fields, without colours off a terminal', () => {
    const time = Date.UTC(2026, 11, 1, 20, 1, 2, 345);
    const line = formatLine(
      JSON.stringify({ level: 40, time, msg: 'gateway listening', url: 'http://127.0.0.1:4000', providers: ['demo'] }),
    );
    expect(line).toBe('20:01:02.345 WARN  gateway listening url=http://127.0.0.1:4000 providers=["demo"]\n');
  });

  it("puts an error's stack under its line, and keeps a string error as a field", () => {
    const line = formatLine(JSON.stringify({ level: 60, time: 0, msg: 'crash', err: { message: 'boom', stack: 'Error: boom\n    at x' } }));
    expect(line.split('\n')).toEqual(['00:00:00.000 FATAL crash', '    Error: boom', '        at x', '']);
    expect(formatLine(JSON.stringify({ level: 50, time: 0, msg: 'failed', err: 'no route' }))).toContain('err="no route"');
  });

  it('passes through a line that is not JSON', () => {
    expect(formatLine('plain text')).toBe('plain text\n');
  });
});
