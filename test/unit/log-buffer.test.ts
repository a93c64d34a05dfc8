import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { LineBuffer } from '../../src/log-buffer.js';

describe('the log line buffer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-buffer-'));
  const open: LineBuffer[] = [];
  afterEach(() => open.splice(0).forEach((b) => b.close()));
  const file = (name: string) => {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    return { path, fd, read: () => readFileSync(path, 'utf8') };
  };

  it('holds lines until a chunk is full, then writes them in order in one piece', () => {
    const out = file('chunk.log');
    const buffer = new LineBuffer(out.fd, 100, 60_000);
    open.push(buffer);
    buffer.write('{"n":1}\n');
    buffer.write('{"n":2}\n');
    expect(out.read()).toBe('');
    const lines = Array.from({ length: 20 }, (_, i) => `{"n":${i + 3}}\n`);
    for (const line of lines) buffer.write(line);
    const written = out.read();
    expect(written.length).toBeGreaterThanOrEqual(100);
    expect(written).toBe(['{"n":1}\n', '{"n":2}\n', ...lines].join('').slice(0, written.length));
    closeSync(out.fd);
  });

  it('writes everything on flushSync and on flush, before the callback', () => {
    const out = file('flush.log');
    const buffer = new LineBuffer(out.fd, 1 << 20, 60_000);
    open.push(buffer);
    buffer.write('{"msg":"ünïcödé ☃"}\n');
    buffer.flushSync();
    expect(out.read()).toBe('{"msg":"ünïcödé ☃"}\n');
    buffer.write('{"msg":"second"}\n');
    let called = false;
    buffer.flush(() => (called = true));
    expect(called).toBe(true);
    expect(out.read()).toBe('{"msg":"ünïcödé ☃"}\n{"msg":"second"}\n');
    closeSync(out.fd);
  });

  it('writes a line that waits longer than the flush interval', async () => {
    const out = file('interval.log');
    const buffer = new LineBuffer(out.fd, 1 << 20, 20);
    open.push(buffer);
    buffer.write('{"late":true}\n');
    for (let i = 0; i < 100 && out.read() === ''; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(out.read()).toBe('{"late":true}\n');
    closeSync(out.fd);
  });

  it('drops what it cannot write rather than failing the caller', () => {
    const out = file('read-only.log');
    closeSync(out.fd);
    const readOnly = openSync(out.path, 'r');
    const buffer = new LineBuffer(readOnly, 10, 60_000);
    open.push(buffer);
    expect(() => buffer.write('{"n":1, "pad":"more than ten"}\n')).not.toThrow();
    expect(out.read()).toBe('');
    closeSync(readOnly);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
