import base from './jest.config.js';

/** @type {import('jest').Config} The browser end-to-end tests (`npm run test:e2e`): real Chromium, real OpenID Provider. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
};
