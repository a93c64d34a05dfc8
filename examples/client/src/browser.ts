import { advice, GatewayError } from './errors.js';
import { begin, configuredProviders, endSession, finish } from './flow.js';
import { GatewayClient } from './gateway-client.js';
import { SessionDocument } from './generated/graphql.js';

// The gateway's address comes from the page (a frontend's own configuration).
const gatewayUrl = document.querySelector<HTMLMetaElement>('meta[name="gateway-url"]')!.content;
const client = new GatewayClient({ url: `${gatewayUrl}/graphql`, clientName: 'example-client', clientVersion: '1.0.0' });
const out = document.getElementById('result')!;

function show(label: string, value: unknown): void {
  const line = document.createElement('pre');
  line.dataset.testid = label;
  line.textContent = `${label}: ${JSON.stringify(value)}`;
  out.append(line);
}

function showError(label: string, error: unknown): void {
  if (error instanceof GatewayError) show(label, { code: error.code, status: error.status, advice: advice(error.code) });
  else show(label, { message: String(error) });
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (params.has('state')) {
    history.replaceState(null, '', location.pathname); // code and state out of the address bar
    const { session, profile } = await finish(client, params);
    show('profile', { provider: profile.provider, id: profile.id, name: profile.displayName, email: profile.email });
    await client.request(SessionDocument, { sessionId: session.sessionId }).then(
      ({ session: s }) => show('session', { connections: s.connections.map((c) => c.provider) }),
      (error: unknown) => showError('session', error),
    );
    await endSession(client, session.sessionId);
    // The ended session is gone: the gateway says so with a code this client switches on.
    await client.request(SessionDocument, { sessionId: session.sessionId }).catch((error: unknown) => showError('after-end', error));
    return;
  }
  for (const id of await configuredProviders(client)) {
    const button = document.createElement('button');
    button.textContent = `Connect ${id}`;
    button.dataset.testid = `connect-${id}`;
    button.addEventListener('click', () => {
      begin(client, id).then(
        (url) => location.assign(url),
        (error: unknown) => showError('start', error),
      );
    });
    out.append(button);
  }
}

main().catch((error: unknown) => showError('failed', error));
