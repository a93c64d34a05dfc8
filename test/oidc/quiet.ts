import { jest } from '@jest/globals';

/**
 * oidc-provider prints its notices with console.warn and console.info: on import (a Node.js release
 * older than it wants) and for every instance (development interactions are on). Imported first by a
 * test file, this drops those lines and nothing else, so any other console output still shows.
 */
const NOTICE = /^(\x1b\[[\d;]*m)?oidc-provider (WARNING|NOTICE): /;

for (const method of ['warn', 'info'] as const) {
  const original = console[method].bind(console);
  jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && NOTICE.test(args[0])) return;
    original(...args);
  });
}
