// The example frontend of the OAuth GraphQL Gateway: plain browser JavaScript, no build step, no
// library. Everything goes through `POST /graphql`; the only thing this page ever holds is the
// opaque session id that `completeAuth` returns. Provider tokens and client secrets stay on the gateway.
//
// The flow:
//   1. "Connect" calls `startAuth`, keeps the returned `state` in sessionStorage (this tab's flows) and
//      sends the browser to the returned `authorizationUrl`. The gateway's answer also sets an HttpOnly
//      cookie that binds the flow to this browser: only this browser can finish it.
//   2. The user signs in at the provider, which redirects to the gateway's `/callback/<provider>`.
//   3. The gateway forwards to this page (FRONTEND_CALLBACK_URL) with `provider`, `code` and `state`,
//      and the page calls `completeAuth` to get the session id. (With FRONTEND_SUCCESS_URL the gateway
//      completes the flow itself and sends `session_id` and `state` instead; on failure both send
//      `error=CODE` and `state`.) The page handles such an answer only for a state this tab started:
//      a link someone else made (their callback URL, a `?session_id=` of theirs) is ignored.
//   4. `session` lists the connected accounts, `profile` reads each one's profile.
'use strict';

// ---- The operations (as in test/documents/operations.graphql, with only the fields shown here) ----

const PROVIDERS = `query Providers { providers { id name protocol configured } }`;

const START_AUTH = `mutation StartAuth($provider: String!, $options: StartAuthOptions) {
  startAuth(provider: $provider, options: $options) { authorizationUrl state }
}`;

const COMPLETE_AUTH = `mutation CompleteAuth($provider: String!, $code: String!, $state: String!) {
  completeAuth(provider: $provider, code: $code, state: $state) { sessionId }
}`;

const SESSION = `query Session($sessionId: String!) {
  session(sessionId: $sessionId) { connections { provider scopes connectedAt } }
}`;

const PROFILE = `query Profile($provider: String!, $sessionId: String!) {
  profile(provider: $provider, sessionId: $sessionId) {
    id displayName username email emailVerified avatarUrl profileUrl
  }
}`;

const DISCONNECT = `mutation Disconnect($provider: String!, $sessionId: String!) {
  disconnect(provider: $provider, sessionId: $sessionId)
}`;

// A provider API call through the gateway: the gateway adds the connection's token and hands back
// the provider's answer (`status`, `json`); the page never sees the token.
const PROVIDER_REQUEST = `query ProviderRequest($provider: String!, $sessionId: String, $request: ProviderRequestInput!) {
  providerRequest(provider: $provider, sessionId: $sessionId, request: $request) { status ok json }
}`;

/** One read-only API path per provider whose allow-list the page knows, to show a call through the gateway. */
const API_EXAMPLES = { demo: '/me', github: '/user/repos', spotify: '/me/playlists', google: '/oauth2/v3/userinfo' };

const END_SESSION = `mutation EndSession($sessionId: String!) { endSession(sessionId: $sessionId) }`;

// ---- Talking to the gateway -----------------------------------------------------------------------

/** The gateway's origin: this page's own, unless the page names another (`<html data-gateway="…">`). */
const GATEWAY = document.documentElement.dataset.gateway ?? '';

/** A failed operation; `code` is one of the schema's `ErrorCode` values, e.g. SESSION_NOT_FOUND. */
class GatewayError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * Runs one GraphQL operation and returns its `data`. The JSON content type is required: besides
 * being GraphQL-over-HTTP, it is what the gateway's CSRF prevention accepts. Failures come back as
 * `{ errors: [{ message, extensions: { code, http: { status } } }] }`; the code is what to switch on.
 */
async function graphql(query, variables = {}) {
  const response = await fetch(`${GATEWAY}/graphql`, {
    method: 'POST',
    // The flow-binding cookie must travel with startAuth and completeAuth, also to a gateway on
    // another origin of the same site (which then lists this page's origin in CORS_ORIGINS).
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  const error = body.errors?.[0];
  if (error) throw new GatewayError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message);
  if (!response.ok || !body.data) {
    // Errors raised before GraphQL runs (e.g. 413, body too large) use the REST shape { error, message }.
    throw new GatewayError(body.error ?? 'INTERNAL_SERVER_ERROR', body.message ?? `HTTP ${response.status}`);
  }
  return body.data;
}

// The session id is a bearer handle: whoever has it can read the profiles. Real apps may prefer an
// HttpOnly cookie set by their own backend; localStorage keeps this example self-contained.
const SESSION_KEY = 'oauth-gateway.sessionId';
const storedSession = () => localStorage.getItem(SESSION_KEY);
const storeSession = (sessionId) => localStorage.setItem(SESSION_KEY, sessionId);
const forgetSession = () => localStorage.removeItem(SESSION_KEY);

// The states of the flows this tab started and has not finished yet. sessionStorage is per tab, so
// an answer that arrives in a tab which did not start its flow is not taken either.
const PENDING_KEY = 'oauth-gateway.pendingStates';
const pendingStates = () => JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? '[]');
const rememberState = (state) => sessionStorage.setItem(PENDING_KEY, JSON.stringify([...pendingStates(), state].slice(-10)));
/** True when this tab started the flow of `state`; the state is dropped either way (single use). */
function claimState(state) {
  const pending = pendingStates();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending.filter((s) => s !== state)));
  return state !== null && pending.includes(state);
}

// ---- The flow -----------------------------------------------------------------------------------

/** Step 1: ask the gateway for the provider's authorization URL and go there. */
async function connect(provider) {
  const sessionId = storedSession();
  try {
    // With a sessionId the new account is linked into the current session instead of a new one.
    const { startAuth } = await graphql(START_AUTH, { provider, options: sessionId ? { sessionId } : null });
    rememberState(startAuth.state);
    location.assign(startAuth.authorizationUrl);
  } catch (error) {
    // The session ended meanwhile: forget it, so the next try starts a new one.
    if (error.code === 'SESSION_NOT_FOUND') forgetSession();
    throw error;
  }
}

/** Step 3: the gateway forwarded the provider's answer to this page; finish the flow. */
async function handleCallback() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error') && !params.has('session_id')) return;
  // Take code and state out of the address bar first: they are single use, and a reload or a
  // bookmark must not replay them.
  history.replaceState(null, '', location.pathname);

  // An answer to a flow this tab did not start is someone else's link (login CSRF, session fixation):
  // nothing in it is used, the stored session stays as it is.
  if (!claimState(params.get('state'))) {
    throw new GatewayError('UNEXPECTED_CALLBACK', 'This page got a sign-in answer for a flow it did not start; it was ignored.');
  }
  const provider = params.get('provider') ?? '';
  if (params.has('error')) {
    throw new GatewayError(params.get('error'), `Connecting ${provider || 'the account'} did not succeed.`);
  }
  const sessionId = params.has('session_id')
    ? params.get('session_id')
    : (await graphql(COMPLETE_AUTH, { provider, code: params.get('code'), state: params.get('state') })).completeAuth.sessionId;
  adoptSession(sessionId);
}

/**
 * A flow started while a session was stored links into it and comes back with the same id; a
 * different one never silently replaces the stored session.
 */
function adoptSession(sessionId) {
  const current = storedSession();
  if (current && current !== sessionId) {
    throw new GatewayError('UNEXPECTED_SESSION', 'The sign-in returned another session; the current one was kept.');
  }
  storeSession(sessionId);
}

/** Step 4: the session's connections, each with its profile. */
async function renderSession() {
  let connections = [];
  const sessionId = storedSession();
  try {
    if (sessionId) ({ connections } = (await graphql(SESSION, { sessionId })).session);
  } catch (error) {
    if (error.code !== 'SESSION_NOT_FOUND') throw error;
    // Expired, or ended elsewhere: forget it; connecting again starts a new session.
    forgetSession();
    showError(error);
  }
  $('end-session').hidden = !storedSession();
  if (connections.length === 0) {
    $('connections').replaceChildren(h('p', { 'data-testid': 'no-connections' }, 'No connected accounts'));
    return;
  }
  const cards = await Promise.all(connections.map((connection) => renderConnection(sessionId, connection)));
  $('connections').replaceChildren(...cards);
}

async function renderConnection(sessionId, { provider, scopes, connectedAt }) {
  const disconnect = userAction(async () => {
    await graphql(DISCONNECT, { provider, sessionId });
    await renderSession();
  });
  let profile;
  try {
    ({ profile } = await graphql(PROFILE, { provider, sessionId }));
  } catch (error) {
    // e.g. REAUTH_REQUIRED: the provider revoked the grant, so the user must connect again.
    showError(error);
  }
  return h(
    'article',
    { class: 'connection' },
    h('h3', {}, provider),
    profile ? renderProfile(provider, profile) : h('p', {}, 'The profile could not be read.'),
    h('p', { class: 'meta' }, 'Scopes: ', ...scopes.flatMap((scope, i) => [i ? ' ' : '', h('code', {}, scope)])),
    h('p', { class: 'meta' }, `Connected ${new Date(connectedAt).toLocaleString()}`),
    API_EXAMPLES[provider] ? renderApiCall(sessionId, provider, API_EXAMPLES[provider]) : '',
    h('button', { type: 'button', 'data-testid': `disconnect-${provider}`, onclick: disconnect }, 'Disconnect'),
  );
}

/** A button that calls `GET <path>` at the provider through the gateway and shows the answer. */
function renderApiCall(sessionId, provider, path) {
  const output = h('pre', { class: 'api-answer', 'data-testid': `api-answer-${provider}`, hidden: '' });
  const call = userAction(async () => {
    const { providerRequest } = await graphql(PROVIDER_REQUEST, { provider, sessionId, request: { path } });
    output.textContent = `HTTP ${providerRequest.status}\n${JSON.stringify(providerRequest.json, null, 2)}`;
    output.hidden = false;
  });
  return h(
    'div',
    { class: 'api-call' },
    h('button', { type: 'button', 'data-testid': `api-call-${provider}`, onclick: call }, `GET ${path} through the gateway`),
    output,
  );
}

function renderProfile(provider, p) {
  // emailVerified is null when the provider does not say.
  const verified = p.emailVerified === null ? 'verification unknown' : p.emailVerified ? 'verified' : 'not verified';
  const rows = [
    ['Name', p.displayName],
    ['Username', p.username],
    ['E-mail', p.email && `${p.email} (${verified})`],
    ['Id', p.id],
  ];
  // Only http(s) links: the URL comes from the provider, and a `javascript:` one must not become a link.
  if (/^https?:\/\//.test(p.profileUrl ?? '')) {
    rows.push(['Profile', h('a', { href: p.profileUrl, rel: 'noreferrer' }, p.profileUrl)]);
  }
  // A picture that the page's Content-Security-Policy refuses, or that fails to load, is dropped.
  const dropOnError = (event) => event.target.remove();
  return h(
    'div',
    { class: 'profile', 'data-testid': `profile-${provider}` },
    p.avatarUrl ? h('img', { class: 'avatar', src: p.avatarUrl, alt: '', width: 64, height: 64, onerror: dropOnError }) : '',
    h('dl', {}, ...rows.filter(([, value]) => value).flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
  );
}

async function renderProviders() {
  const { providers } = await graphql(PROVIDERS);
  const item = (p) =>
    h(
      'li',
      {},
      h('strong', {}, p.name),
      ' ',
      h('span', { class: 'meta' }, p.protocol === 'OIDC' ? 'OpenID Connect' : 'OAuth 2.0'),
      // `demo` is the gateway's built-in OpenID Provider, on when no real provider is configured.
      p.id === 'demo' ? h('span', { class: 'badge' }, 'built-in demo: sign in with any name and password') : '',
      p.configured
        ? h('button', { type: 'button', 'data-testid': `connect-${p.id}`, onclick: userAction(() => connect(p.id)) }, `Connect ${p.name}`)
        : h('span', { class: 'meta' }, 'not configured on this gateway'),
    );
  $('providers').replaceChildren(...providers.map(item));
}

async function endSession() {
  try {
    await graphql(END_SESSION, { sessionId: storedSession() });
  } finally {
    forgetSession();
  }
  await renderSession();
}

// ---- Small DOM helpers --------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

/** Builds an element. Children are appended as text nodes, never parsed as HTML. */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  element.append(...children);
  return element;
}

/** Shows an error by its code, e.g. "SESSION_NOT_FOUND — The session does not exist or has expired." */
function showError(error) {
  // Anything else is the browser's own failure, e.g. "TypeError — Failed to fetch" when offline.
  const code = error instanceof GatewayError ? error.code : error.name;
  $('error').replaceChildren(h('strong', {}, code), ` — ${error.message}`);
  $('error').hidden = false;
}

/** A click handler: clears the previous error, runs the action, shows its failure. */
const userAction = (action) => () => {
  $('error').hidden = true;
  return action().catch(showError);
};

// ---- Start --------------------------------------------------------------------------------------

$('end-session').addEventListener('click', userAction(endSession));
handleCallback()
  .catch(showError)
  .then(() => Promise.all([renderProviders().catch(showError), renderSession().catch(showError)]));
