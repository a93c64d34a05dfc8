/**
 * oidc-provider prints two notices that say nothing to someone trying the demo, in red, before the
 * gateway's own lines: one on import, because it prefers a newer Node.js release than the Node 20
 * the gateway supports (it works on 20), and one per instance, because the demo uses its development
 * login pages on purpose. Imported before oidc-provider, this drops those two and lets every other
 * line through; the gateway's own start-up line says the demo is on.
 */
const EXPECTED = /^(\x1b\[[\d;]*m)?oidc-provider (WARNING|NOTICE): (Unsupported runtime|.*devInteractions)/;

for (const method of ['warn', 'info'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && EXPECTED.test(args[0])) return;
    original(...args);
  };
}
