import { afterAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { ConnectionRecord } from '../../src/auth/records.js';
import { pairFingerprint, Refresher } from '../../src/auth/refresh.js';
import { createStore } from '../../src/store/create-store.js';
import { Keyring } from '../../src/store/keyring.js';
import { SealedStore } from '../../src/store/store.js';
import type { Upstream } from '../../src/upstream/upstream.js';

const logger = pino({ level: 'silent' });
const store = await createStore({ namespace: 'unit-test', keyring: Keyring.ephemeral(), logger });
afterAll(() => store.close());
// Saving a connection calls no provider.
const refresher = new Refresher(store, {} as Upstream, logger, { refreshMarginSeconds: 60, lockTtlMs: 1000 });

const connection = (fields: Partial<ConnectionRecord>): ConnectionRecord => ({
  provider: 'spotify',
  scopes: ['user-read-email'],
  connectedAt: Date.now(),
  accessToken: 'BQDk3v9sQ2hX0tL1Yq7mZpA4cR8uW6nE5jG2fH1kT0',
  sessionExpiresAt: Date.now() + 60_000,
  ...fields,
});
/** True when the pair marker holds `fingerprint` (the compare-and-set a refresh makes, to the same value). */
const markerHolds = (sessionId: string, fingerprint: string) =>
  store.compareAndSetMarker(SealedStore.keyFor('pair', sessionId, 'spotify'), fingerprint, fingerprint, 60_000);

describe('pair markers', () => {
  it('are written for a connection that has a refresh token', async () => {
    const linked = connection({ refreshToken: 'AQAb7Xw2pL9eK4rT1uY6iO3pA8sD5fG0hJ2kL7zXcV' });
    await refresher.save('session-a', linked);
    expect(await markerHolds('session-a', pairFingerprint(linked))).toBe(true);
  });

  it('are not written for one without (it is never refreshed), and a re-link without one removes the old marker', async () => {
    await refresher.save('session-b', connection({}));
    expect(await markerHolds('session-b', pairFingerprint(connection({})))).toBe(false);

    const refreshable = connection({ refreshToken: 'AQDn4Yv8rM2fJ6sW0tZ3uB9cE5hK1pL7xQ4gT2nV8a' });
    await refresher.save('session-c', refreshable);
    await refresher.save('session-c', connection({ accessToken: 'BQAnother3v9sQ2hX0tL1Yq7mZpA4cR8uW6nE5jG2f' }));
    expect(await markerHolds('session-c', pairFingerprint(refreshable))).toBe(false);
  });
});
