import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium, headless, with a profile directory of its own: one call, one isolated browser.
 * The background-networking flags keep it from calling out of this closed network at every start.
 * The profile goes through launchPersistentContext: Playwright refuses --user-data-dir.
 */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
