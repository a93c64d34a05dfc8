import { Agent, request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery, print, type DocumentNode } from 'graphql';
import { errorCatalog } from '../../src/errors/catalog.js';
import { ErrorCode } from '../../src/errors/codes.js';
import {
  CompleteAuthDocument,
  DisconnectDocument,
  EndSessionDocument,
  ProfileDocument,
  ProvidersDocument,
  SessionDocument,
  StartAuthDocument,
} from '../generated/graphql.js';
import { startFakeGithub, startFakeSpotify, type FakeGithub, type FakeSpotify } from '../fakes/index.js';
import { connect, GRAPHQL_RESPONSE, startTestGateway, type TestGateway } from './harness.js';

/**
 * Throws generated input at every operation and route of the real gateway. The generator is seeded
 * (FUZZ_SEED overrides the default), so a failure names the seed and the input that reproduces it.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings that have broken other servers: injection, traversal, encodings, pollution keys. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'github\u0000',
  '%00',
  'github%00',
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..\\..\\windows\\win.ini',
  "' OR '1'='1' --",
  '"; DROP TABLE sessions; --',
  '{"$gt": ""}',
  '{"$where": "sleep(1000)"}',
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '<%= 7*7 %>',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '\r\nSet-Cookie: pwned=1',
  'a\r\n\r\nHTTP/1.1 200 OK',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'GITHUB',
  'github ',
  ' github',
  'git-hub',
  'github-',
  '-',
  'a'.repeat(64),
  'a'.repeat(65),
  'A'.repeat(43),
  'A'.repeat(42),
  'A'.repeat(44),
  '+'.repeat(43),
  '='.repeat(43),
  '\u202egithub',
  'gi\u200bthub',
  'ｇｉｔｈｕｂ',
  'gıthub',
  'e\u0301\u0301\u0301\u0301\u0301',
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\ufeff',
  '\uffff',
  '😀',
  '👩‍👩‍👧‍👦',
  'مرحبا',
  'שלום',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  '%E0%A4%A',
  '%',
  '%%',
  '%zz',
  'scope with spaces',
  'a,b,c',
  '\\',
  '"',
  "'",
  '`',
];

/** Code point ranges to draw random characters from. */
const RANGES: Array<[number, number]> = [
  [0x20, 0x7e], // printable ASCII
  [0x20, 0x7e],
  [0x00, 0x1f], // C0 controls, NUL included
  [0x7f, 0x9f], // DEL and C1 controls
  [0x300, 0x36f], // combining marks
  [0x590, 0x6ff], // Hebrew, Arabic (RTL)
  [0x202a, 0x202e], // bidi embeddings and overrides
  [0x2066, 0x2069], // bidi isolates
  [0x200b, 0x200f], // zero-width and direction marks
  [0xd800, 0xdfff], // lone surrogates: JSON.stringify sends them as \uXXXX escapes
  [0xfff0, 0xffff], // specials and noncharacters
  [0x1f300, 0x1f6ff], // emoji (astral, surrogate pairs)
  [0x4e00, 0x9fff], // CJK
];

class Generator {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  char(): string {
    const [low, high] = this.pick(RANGES);
    return String.fromCodePoint(low + this.int(high - low + 1));
  }

  length(): number {
    return this.pick([0, 1, 2, 8, 42, 43, 44, 64, 65, 200, 201, 2048, 2049, 5000, this.int(300)]);
  }

  /** Handle-shaped: 43 base64url characters, so it passes validation and reaches the store. */
  handle(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return Array.from({ length: 43 }, () => alphabet[this.int(64)]).join('');
  }

  /** A valid value with one character swapped for a random one, or something appended. */
  mutate(value: string): string {
    const at = this.int(value.length);
    const changed = value.slice(0, at) + this.char() + value.slice(at + 1);
    return changed === value || this.chance(0.3) ? value + this.char() : changed;
  }

  string(valid: readonly string[] = []): string {
    switch (this.int(6)) {
      case 0:
        return this.pick(NASTY);
      case 1:
        return Array.from({ length: this.length() }, () => this.char()).join('');
      case 2:
        return this.handle();
      case 3:
        return valid.length > 0 ? this.mutate(this.pick(valid)) : this.pick(NASTY);
      case 4:
        return this.pick(NASTY) + Array.from({ length: this.int(20) }, () => this.char()).join('') + this.pick(NASTY);
      default:
        return this.pick(NASTY).repeat(1 + this.int(50));
    }
  }

  /** Any JSON value, wrong types and prototype-pollution keys included. */
  json(depth = 0): unknown {
    switch (this.int(depth > 2 ? 5 : 9)) {
      case 0:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, -0]);
      case 1:
        return this.chance(0.5);
      case 2:
        return null;
      case 3:
      case 4:
        return this.string();
      case 5:
        return Array.from({ length: this.int(5) }, () => this.json(depth + 1));
      case 6:
        return this.pollution();
      case 7:
        return Object.fromEntries(Array.from({ length: this.int(4) }, () => [this.string(), this.json(depth + 1)]));
      default:
        return this.pick([nestedArrays(2000), { a: nestedArrays(500) }, []]);
    }
  }

  /** An object whose own keys are `__proto__`/`constructor` (built by JSON.parse, so they survive JSON.stringify). */
  pollution(): Record<string, unknown> {
    return JSON.parse(
      this.pick([
        '{"__proto__": {"polluted": "yes"}}',
        '{"constructor": {"prototype": {"polluted": "yes"}}}',
        '{"__proto__": {"scopes": ["admin"], "sessionId": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}',
        '{"scopes": ["a"], "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}',
        '{"toString": "x", "valueOf": 1, "hasOwnProperty": null}',
      ]),
    ) as Record<string, unknown>;
  }
}

function nestedArrays(depth: number): unknown {
  return JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
}

// ---------------------------------------------------------------------------------------------------
// What every response must look like.

const CODES = new Set<string>(Object.values(ErrorCode));
const STACK = /\bat \S[^"\n]*\.(?:js|ts):\d+|"stacktrace"/;

interface Seen {
  status: number;
  contentType: string;
  text: string;
}

/** Problems found, each with the input that caused it (shortened); the suite expects none. */
class Inspector {
  readonly problems: string[] = [];
  readonly statuses = new Map<number, number>();
  readonly codes = new Map<string, number>();
  count = 0;
  /** Answers that carried a profile read from the provider. */
  profiles = 0;

  check(input: string, seen: Seen): void {
    this.count += 1;
    this.statuses.set(seen.status, (this.statuses.get(seen.status) ?? 0) + 1);
    const problem = (what: string): void =>
      void this.problems.push(`${what} — input: ${shorten(input, 1200)} — answer: ${seen.status} ${shorten(seen.text)}`);
    if (seen.status >= 500) problem(`status ${seen.status}`);
    if (STACK.test(seen.text)) problem('stack trace in the body');
    if (!seen.contentType.includes('json') || seen.text === '') return;
    let body: unknown;
    try {
      body = JSON.parse(seen.text);
    } catch {
      problem('a JSON content-type with a body that is not JSON');
      return;
    }
    if (!body || typeof body !== 'object') return;
    const record = body as Record<string, unknown>;
    if (typeof (record.data as { profile?: { id?: unknown } } | null | undefined)?.profile?.id === 'string') this.profiles += 1;
    if (Array.isArray(record.errors)) {
      this.graphqlErrors(record, seen.status, problem);
    } else if (typeof record.error === 'string') {
      this.restError(record, seen.status, problem);
    }
  }

  private graphqlErrors(body: Record<string, unknown>, status: number, problem: (what: string) => void): void {
    const errors = body.errors as Array<{ message?: unknown; extensions?: { code?: unknown; http?: { status?: unknown } } }>;
    for (const error of errors) {
      const code = String(error.extensions?.code);
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
      if (!CODES.has(code)) problem(`GraphQL error code ${code} is not in the ErrorCode enum`);
      else if (code === ErrorCode.INTERNAL_SERVER_ERROR) problem('INTERNAL_SERVER_ERROR');
      else if (error.extensions?.http?.status !== errorCatalog[code as ErrorCode].status) {
        problem(`extensions.http.status ${String(error.extensions?.http?.status)} for ${code}`);
      }
      if (typeof error.message !== 'string' || error.message === '') problem('a GraphQL error without a message');
    }
    const first = errors[0]?.extensions?.http?.status;
    if (body.data == null && first !== undefined && status !== first) problem(`HTTP ${status} while the first error says ${String(first)}`);
  }

  private restError(body: Record<string, unknown>, status: number, problem: (what: string) => void): void {
    const code = body.error as string;
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    // Route-level answers outside the GraphQL catalog: an unknown path, a method the route does not take,
    // an origin that CORS_ORIGINS does not list.
    const routeLevel: Record<string, number> = { NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, CORS_ORIGIN_NOT_ALLOWED: 403 };
    if (code in routeLevel) {
      const expected = routeLevel[code];
      if (status !== expected) problem(`${code} with HTTP ${status}`);
      return;
    }
    if (!CODES.has(code)) return problem(`REST error ${code} is not in the ErrorCode enum`);
    if (code === ErrorCode.INTERNAL_SERVER_ERROR) return problem('INTERNAL_SERVER_ERROR');
    // The body limit answers 413 Payload Too Large with BAD_USER_INPUT.
    const expected =
      code === ErrorCode.BAD_USER_INPUT && /exceeds \d+ bytes/.test(String(body.message)) ? 413 : errorCatalog[code as ErrorCode].status;
    if (status !== expected) problem(`REST ${code} with HTTP ${status} instead of ${expected}`);
  }

  summary(): string {
    const sorted = (map: Map<string | number, number>) =>
      [...map]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
    return `${this.count} responses; statuses ${sorted(this.statuses)}; codes ${sorted(this.codes)}`;
  }
}

function shorten(text: string, max = 240): string {
  const escaped = JSON.stringify(text);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max)}… (${text.length} chars)`;
}

/** encodeURIComponent that also takes lone surrogates (sent as U+FFFD, as a browser would). */
const encode = (text: string) => encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));

/** Runs `tasks` with at most `width` at a time. */
async function pool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/** A raw exchange over TCP: whatever the gateway answers before closing or going quiet. */
function rawExchange(port: number, chunks: Array<string | Buffer>, { quietMs = 300, endAfterWrite = false } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(received).toString('latin1'));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      arm();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (endAfterWrite) socket.end();
      arm();
    });
  });
}

/** Every response in a raw HTTP/1.1 byte stream (keep-alive may carry several). */
function parseRaw(raw: string): Seen[] {
  const seen: Seen[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? '';
    const body = Buffer.from(rest.slice(end + 4), 'latin1');
    seen.push({ status, contentType, text: body.subarray(0, length).toString('utf8') });
    rest = body.subarray(length).toString('latin1');
  }
  if (seen.length === 0 && raw !== '') seen.push({ status: 0, contentType: '', text: raw });
  return seen;
}

// ---------------------------------------------------------------------------------------------------

const OPERATIONS = [
  { document: ProvidersDocument, variables: [] },
  { document: ProfileDocument, variables: ['provider', 'sessionId'] },
  { document: SessionDocument, variables: ['sessionId'] },
  { document: StartAuthDocument, variables: ['provider', 'options'] },
  { document: CompleteAuthDocument, variables: ['provider', 'code', 'state'] },
  { document: DisconnectDocument, variables: ['provider', 'sessionId'] },
  { document: EndSessionDocument, variables: ['sessionId'] },
].map(({ document, variables }) => ({ query: print(document as DocumentNode), variables }));

describe('the gateway under generated and malformed input', () => {
  let fake: FakeGithub;
  let gw: TestGateway;
  let port: number;
  /**
   * A GitHub session that fuzzed reads use. `disconnect` and `endSession` get `doomed` Spotify sessions
   * instead: revoking at (fake) GitHub ends every grant of its single user, the read session's included.
   */
  let sessionId: string;
  let doomed: string[];
  let spotify: FakeSpotify;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const started = performance.now();

  beforeAll(async () => {
    [fake, spotify] = await Promise.all([startFakeGithub(), startFakeSpotify()]);
    // /graphql bodies up to MAX_BODY_BYTES (1 MiB), not the default 64 KiB: values of about 1 MB must
    // reach argument validation here.
    gw = await startTestGateway({ ...fake.env(), ...spotify.env(), GRAPHQL_MAX_BODY_BYTES: '1048576' });
    port = Number(new URL(gw.url).port);
    ({ sessionId } = await connect(gw, fake, 'github'));
    doomed = await Promise.all([1, 2, 3].map(async () => (await connect(gw, spotify, 'spotify')).sessionId));
  });
  afterAll(async () => {
    agent.destroy();
    await gw.close();
    await Promise.all([fake.close(), spotify.close()]);
  });

  /** A JSON POST to /graphql over a keep-alive node:http agent (lighter than fetch for thousands of requests). */
  function post(body: string, headers: Record<string, string> = {}): Promise<Seen> {
    return new Promise<Seen>((resolve, reject) => {
      const req = httpRequest(
        `${gw.url}/graphql`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function get(path: string, init: RequestInit = {}): Promise<Seen> {
    const headers = { accept: GRAPHQL_RESPONSE, ...(init.headers as Record<string, string> | undefined) };
    const response = await gw.fetch(`${gw.url}${path}`, { ...init, headers });
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  /** A plausible value of a variable, so that the other, fuzzed one reaches deeper code. */
  function plausible(g: Generator, name: string, mutation = false): unknown {
    switch (name) {
      case 'provider':
        return g.chance(0.7) ? 'github' : g.pick(['spotify', 'google', 'myspace']);
      case 'sessionId':
        return g.chance(0.7) ? (mutation ? g.pick(doomed) : sessionId) : g.handle();
      case 'state':
        return g.handle();
      case 'code':
        return g.pick(['gh-code', g.handle()]);
      default:
        return g.pick([undefined, { scopes: ['read:user'] }, { sessionId }, { scopes: [], sessionId: g.handle() }]);
    }
  }

  /** A fuzzed value of a variable: a string for strings, wrong JSON types, pollution keys. */
  function fuzzed(g: Generator, name: string): unknown {
    if (name === 'options') {
      switch (g.int(5)) {
        case 0:
          return g.json();
        case 1:
          return g.pollution();
        case 2:
          return { scopes: Array.from({ length: g.pick([0, 1, 3, 50, 51, 500]) }, () => (g.chance(0.8) ? g.string() : g.json())) };
        case 3:
          return { sessionId: g.chance(0.7) ? g.string([sessionId]) : g.json(), scopes: [g.string()] };
        default:
          return { ...g.pollution(), [g.string()]: g.json() };
      }
    }
    return g.chance(0.75) ? g.string(name === 'provider' ? ['github'] : name === 'sessionId' ? [sessionId] : []) : g.json();
  }

  it('answers thousands of generated arguments to every operation with catalogued errors, never a 500', async () => {
    const g = new Generator(SEED);
    const inspector = new Inspector();
    const bodies: string[] = [];
    for (let i = 0; i < 2100; i++) {
      const { query, variables: names } = OPERATIONS[i % OPERATIONS.length]!;
      let variables: Record<string, unknown> = {};
      // One variable fuzzed and the others plausible, so that it gets past the others' validation; one in ten all plausible.
      const target = names.length > 0 && g.chance(0.9) ? g.pick(names) : undefined;
      for (const name of names) {
        const value = name === target || g.chance(0.2) ? fuzzed(g, name) : plausible(g, name, query.startsWith('mutation'));
        if (value !== undefined && !g.chance(0.03)) variables[name] = value; // sometimes a non-null variable goes missing
      }
      // Spread, not Object.assign: an own `__proto__` key must stay a key, not become the prototype.
      if (g.chance(0.05)) variables = { ...variables, ...g.pollution() };
      if (g.chance(0.05)) variables[g.string()] = g.json();
      const envelope: Record<string, unknown> = { query, variables };
      if (g.chance(0.05)) envelope.variables = g.json();
      if (g.chance(0.03)) envelope.operationName = g.json();
      bodies.push(JSON.stringify(envelope));
    }
    // Values of about 1 MB, inside MAX_BODY_BYTES once the document is added, at every operation.
    const huge = (unit: string) => unit.repeat(Math.floor(1_040_000 / unit.length));
    for (const { query, variables: names } of OPERATIONS.slice(1)) {
      for (const name of names) {
        for (const value of [huge('a'), huge('A'), huge('é'), name === 'options' ? { scopes: [huge('s')] } : huge('\u0000')]) {
          const variables = Object.fromEntries(names.map((n) => [n, plausible(g, n) ?? null]));
          bodies.push(JSON.stringify({ query, variables: { ...variables, [name]: value } }));
        }
      }
    }
    await pool(bodies, 16, async (body) => inspector.check(body, await post(body)));
    expect(inspector.problems).toEqual([]);
    expect(inspector.count).toBe(bodies.length);
    // The generator reached past validation: the store, the flow and the provider answered.
    expect([...inspector.codes.keys()]).toEqual(
      expect.arrayContaining(['BAD_USER_INPUT', 'UNKNOWN_PROVIDER', 'PROVIDER_NOT_CONFIGURED', 'SESSION_NOT_FOUND', 'INVALID_STATE']),
    );
    expect(inspector.statuses.get(200)).toBeGreaterThan(50);
    // Identical concurrent profile reads share one upstream call, so how many calls reach the provider
    // depends on timing; how many answers carry its profile does not.
    expect(inspector.profiles).toBeGreaterThan(4);
    expect(fake.count('/api/v3/user')).toBeGreaterThan(0);
  });

  it('answers generated codes against fresh states, by completeAuth and by the callback', async () => {
    const g = new Generator(SEED + 1);
    const inspector = new Inspector();
    const rounds = Array.from({ length: 160 }, (_, i) => i);
    await pool(rounds, 8, async (i) => {
      const { startAuth } = await gw.request(StartAuthDocument, { provider: 'github' });
      const code = g.chance(0.9) ? g.string(['gh-code']) : 'x'.repeat(2049);
      if (i % 2 === 0) {
        const body = JSON.stringify({
          query: print(CompleteAuthDocument),
          variables: { provider: 'github', code, state: startAuth.state },
        });
        inspector.check(body, await post(body));
      } else {
        const params = new URLSearchParams({ code, state: startAuth.state });
        if (g.chance(0.3)) params.set('iss', g.string([`${fake.url}/login/oauth`]));
        if (g.chance(0.2)) params.set('error', g.string(['access_denied']));
        if (g.chance(0.1)) params.append('state', g.handle());
        const path = `/callback/github?${params}`;
        inspector.check(path, await get(path));
      }
    });
    expect(inspector.problems).toEqual([]);
    expect([...inspector.codes.keys()]).toEqual(expect.arrayContaining(['TOKEN_EXCHANGE_FAILED']));
  });

  it('refuses abusive documents before execution with BAD_USER_INPUT (400), and keeps introspection working', async () => {
    const inspector = new Inspector();
    // 30 aliases: within the document pre-pass (40), so the cost rule is what refuses it.
    const flood = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: providers { id }`).join(' ')} }`;
    const refused = await post(JSON.stringify({ query: flood }));
    inspector.check('alias flood', refused);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({
      errors: [
        {
          message: 'Query cost 330 exceeds the limit of 200.',
          locations: [{ line: 1, column: 1 }],
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        },
      ],
    });
    // This schema nests 3 fields at most, so anything deeper also names fields that do not exist.
    const deep = `{ session(sessionId: "${sessionId}") { connections { provider ${'{ x '.repeat(9)}${'} '.repeat(9)}} } }`;
    const tooDeep = await post(JSON.stringify({ query: deep }));
    inspector.check('deep', tooDeep);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.text).toContain('Query depth 12 exceeds the limit of 8.');
    const introspection = await post(
      JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }) }),
    );
    expect(introspection.status).toBe(200);
    expect(JSON.parse(introspection.text)).toMatchObject({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect(inspector.problems).toEqual([]);
  });

  it('answers malformed bodies, content types, methods and query strings at every route without a 500', async () => {
    const g = new Generator(SEED + 2);
    const inspector = new Inspector();
    const valid = JSON.stringify({ query: print(SessionDocument), variables: { sessionId } });
    type Case = { label: string; run: () => Promise<Seen> };
    const cases: Case[] = [];
    const add = (label: string, run: () => Promise<Seen>) => cases.push({ label, run });

    // Invalid JSON: truncations of a valid body, random bytes, JSON that is not an object.
    for (let i = 0; i < 150; i++) {
      const body = valid.slice(0, g.int(valid.length));
      add(`truncated JSON ${body}`, () => post(body));
    }
    for (let i = 0; i < 60; i++) {
      const body = Array.from({ length: g.length() }, () => g.char()).join('');
      add(`random body ${body}`, () => post(body));
    }
    for (const body of [
      'null',
      'true',
      '1',
      '"query"',
      '[]',
      `[${valid},${valid}]`,
      '{}',
      '{"query": null}',
      '{"query": 1}',
      '{"query": ["{ providers { id } }"]}',
      '{"query": {}}',
      '{"query": "{ providers { id } }", "variables": "x"}',
      '{"query": "{ providers { id } }", "variables": []}',
      '{"query": "{ providers { id } }", "extensions": "x"}',
      '{"query": "{ providers { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
      '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0000000000000000000000000000000000000000000000000000000000000000"}}}',
      '{"query": "{ providers { id } }", "operationName": {"__proto__": {"polluted": "yes"}}}',
      '{"__proto__": {"polluted": "yes"}, "query": "{ providers { id } }"}',
      '{"query": "query($__proto__: String) { providers { id } }"}',
      '{"query": "query($constructor: String!) { providers { id } }"}',
      `\ufeff${valid}`,
      `${valid} trailing`,
      '{"query": "{ providers { id } }" /* comment */}',
      '{"query": "\\ud800"}',
      `{"query": "${'{'.repeat(5000)}"}`,
      `{"query": "{ ${'a: __typename '.repeat(50)} }", "variables": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"query": "mutation { startAuth(provider: \\"github\\") { state } } query Q { providers { id } }"}',
      '{"query": "subscription { providers { id } }"}',
      '{"query": "{ providers { id } }", "operationName": "Nope"}',
      '{"query": "query A { providers { id } } query A { providers { id } }"}',
      '{"query": "query ($p: String! = null) { providers { id } }"}',
    ]) {
      add(`body ${body}`, () => post(body));
    }

    // Wrong content types, and none.
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/graphql',
      'application/graphql-response+json',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/jsonx',
      'text/html; a=application/json',
      '',
      '*/*',
    ]) {
      for (const body of [
        valid,
        'query=%7B+providers+%7B+id+%7D+%7D',
        '{ providers { id } }',
        '--x\r\ncontent-disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--',
      ]) {
        add(`content-type ${type} body ${body}`, async () => {
          const response = await fetch(`${gw.url}/graphql`, {
            method: 'POST',
            headers: type ? { 'content-type': type, 'apollo-require-preflight': 'true' } : {},
            body,
          });
          return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
        });
      }
    }

    // Methods at every route.
    const routes = ['/graphql', '/healthz', '/readyz', '/callback/github', '/callback/github?code=a&state=b', '/', '/index.html', '/nope'];
    for (const route of routes) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND']) {
        add(`${method} ${route}`, () =>
          get(route, {
            method,
            body: ['GET', 'HEAD'].includes(method) ? undefined : valid,
            headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
          }),
        );
      }
    }

    // GET with garbage query strings (with the preflight header, so CSRF prevention lets them reach Apollo).
    const garbage = () => Array.from({ length: g.length() }, () => g.char()).join('');
    for (let i = 0; i < 120; i++) {
      const query = g.pick([
        () => `query=${encode(garbage())}`,
        () => `query=${encode('{ providers { id } }')}&variables=${encode(garbage())}`,
        () => `query=${encode(print(SessionDocument))}&variables=${encode(JSON.stringify({ sessionId: g.string([sessionId]) }))}`,
        () => `query=${encode('{ providers { id } }')}&extensions=${encode(garbage())}`,
        () => `query=a&query=b&operationName=${encode(garbage())}&operationName=x`,
        () => `query=${encode(print(StartAuthDocument))}&variables=${encode('{"provider":"github"}')}`,
        () => `%E0%A4%A=%&query=%ZZ&${encode(garbage())}`,
        () => garbage().replace(/[#\s]/g, '').slice(0, 500),
      ])();
      add(`GET /graphql?${query}`, () => get(`/graphql?${query}`, { headers: { 'apollo-require-preflight': 'true' } }));
    }

    // The callback with garbage provider segments and parameters.
    for (let i = 0; i < 150; i++) {
      const segment = g.pick([
        () => encode(g.string(['github'])),
        () => g.pick(['%E0%A4%A', '%', '%%', '%zz', '%00', 'github%00', '..%2F..', 'GitHub', 'github%2Fx', '%F0%9F%98%80', '%ED%A0%80']),
        () => encode(garbage()) || 'x',
        () => 'github',
      ])();
      const params = new URLSearchParams();
      for (let p = g.int(5); p > 0; p--)
        params.append(
          g.pick(['code', 'state', 'error', 'iss', 'error_description', '__proto__', 'constructor', g.string()]),
          g.chance(0.3) ? g.handle() : g.string(),
        );
      const raw = g.chance(0.2) ? `&${g.pick(['%E0%A4%A', '%', 'code=%ZZ', 'state=%00', 'code', '=', '&&&', 'code=a&code=b'])}` : '';
      const path = `/callback/${segment}?${params}${raw}`;
      add(`GET ${path}`, () => get(path));
    }
    add('GET /callback/%E0%A4%A', () => get('/callback/%E0%A4%A'));
    add('GET /callback/', () => get('/callback/'));
    add('GET /callback/github/extra', () => get('/callback/github/extra?code=a&state=b'));
    add('GET /callback/github with a 2049-character code', () => get(`/callback/github?code=${'c'.repeat(2049)}&state=${g.handle()}`));
    add('GET /callback/github with a 14 kB query', () => get(`/callback/github?code=${'c'.repeat(14_000)}&state=${g.handle()}`));

    // Headers: large but allowed, over Node's limit, many.
    add('a 12 kB header', () =>
      get('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-big': 'x'.repeat(12_000) }, body: valid }),
    );
    add('a 100 kB header', () => get('/healthz', { headers: { 'x-big': 'x'.repeat(100_000) } }));
    add('300 headers', () =>
      get('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-h${i}`, String(i)])),
        },
        body: valid,
      }),
    );
    add('a 10 kB operation name header', () =>
      get('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-apollo-operation-name': 'n'.repeat(10_000) },
        body: valid,
      }),
    );

    // Bodies past MAX_BODY_BYTES: declared, and streamed without a length.
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
    add('a body over the limit', () => post(big));
    add(
      'a chunked body over the limit',
      () =>
        new Promise<Seen>((resolve, reject) => {
          const req = httpRequest(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }));
          });
          req.on('error', reject);
          for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
          req.end();
        }),
    );

    await pool(cases, 16, async ({ label, run }) => {
      try {
        inspector.check(label, await run());
      } catch (error) {
        // A refused connection (Node's own 431 and close, a reset after 413) is fine; a hang is not.
        if (!(error instanceof TypeError) && !(error as NodeJS.ErrnoException).code) throw error;
      }
    });
    expect(inspector.problems).toEqual([]);
  });

  it('answers truly malformed HTTP on the socket without a 500', async () => {
    const inspector = new Inspector();
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const body = JSON.stringify({ query: '{ providers { id } }' });
    const exchanges: Array<{ label: string; chunks: Array<string | Buffer> }> = [
      { label: 'a garbage line', chunks: ['GARBAGE\r\n\r\n'] },
      { label: 'binary noise', chunks: [Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))] },
      { label: 'HTTP/9.9', chunks: [`GET /healthz HTTP/9.9\r\n${host}\r\n`] },
      { label: 'HTTP/1.1 without Host', chunks: ['GET /healthz HTTP/1.1\r\n\r\n'] },
      { label: 'HTTP/1.0', chunks: ['GET /healthz HTTP/1.0\r\n\r\n'] },
      { label: 'a header without colon', chunks: [`GET /healthz HTTP/1.1\r\n${host}NoColonHere\r\n\r\n`] },
      { label: 'NUL in the target', chunks: [`GET /graph\u0000ql HTTP/1.1\r\n${host}\r\n`] },
      { label: 'a space in the target', chunks: [`GET /graph ql HTTP/1.1\r\n${host}\r\n`] },
      { label: 'absolute-form target', chunks: [`GET http://evil.example/healthz HTTP/1.1\r\n${host}\r\n`] },
      { label: 'asterisk target', chunks: [`OPTIONS * HTTP/1.1\r\n${host}\r\n`] },
      { label: 'an unknown method', chunks: [`BREW /graphql HTTP/1.1\r\n${host}\r\n`] },
      { label: 'CONNECT', chunks: [`CONNECT 127.0.0.1:1 HTTP/1.1\r\n${host}\r\n`] },
      { label: 'percent errors in the path', chunks: [`GET /callback/%E0%A4%A?code=%ZZ&state=%00 HTTP/1.1\r\n${host}\r\n`] },
      { label: 'raw UTF-8 in the path', chunks: [Buffer.from(`GET /callback/gïthub?code=ä&state=😀 HTTP/1.1\r\n${host}\r\n`, 'utf8')] },
      {
        label: 'a lying small Content-Length',
        chunks: [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n${body}`],
      },
      {
        label: 'two Content-Lengths',
        chunks: [
          `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n${body}`,
        ],
      },
      {
        label: 'a negative Content-Length',
        chunks: [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n${body}`],
      },
      {
        label: 'a non-numeric Content-Length',
        chunks: [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n${body}`],
      },
      {
        label: 'a huge Content-Length',
        chunks: [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n${body}`],
      },
      {
        label: 'Content-Length and chunked together',
        chunks: [
          `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        ],
      },
      // A bad chunk size and an unknown transfer coding are in the suite below: they hit a bug.
      { label: 'a header with a bare LF', chunks: [`GET /healthz HTTP/1.1\n${host.replace('\r', '')}X-A: 1\n\n`] },
      {
        label: 'a control character in Content-Type',
        chunks: [`POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\u0001\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
      },
      { label: 'obs-fold', chunks: [`GET /healthz HTTP/1.1\r\n${host}X-A: 1\r\n  continued\r\n\r\n`] },
      { label: 'a 40 kB request line', chunks: [`GET /graphql?query=${'a'.repeat(40_000)} HTTP/1.1\r\n${host}\r\n`] },
      {
        label: 'pipelined requests',
        chunks: [
          `GET /healthz HTTP/1.1\r\n${host}\r\nGET /nope HTTP/1.1\r\n${host}\r\nPOST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ],
      },
    ];
    await pool(exchanges, 8, async ({ label, chunks }) => {
      for (const seen of parseRaw(await rawExchange(port, chunks))) inspector.check(label, seen);
    });
    expect(inspector.problems).toEqual([]);
  });

  it('is still healthy afterwards: /healthz, a providers query, no unexpected error logged, no polluted prototype', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const { providers } = await gw.request(ProvidersDocument, {});
    expect(providers.find((p) => p.id === 'github')).toMatchObject({ configured: true });
    const unexpected = gw.logs.filter(
      (line) =>
        /"level":(50|60)/.test(line) ||
        /"msg":"(unexpected error|request failed)"/.test(line) ||
        (/"msg":"request"/.test(line) && /"status":5\d\d/.test(line)),
    );
    expect(unexpected.map(logSummary)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('scopes');
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

/** The part of a log line that tells what went wrong. */
function logSummary(line: string): string {
  const entry = JSON.parse(line) as {
    level: number;
    msg: string;
    status?: number;
    errorCode?: string;
    err?: { message?: string; code?: string };
  };
  return [`level ${entry.level}`, entry.msg, entry.err && `${entry.err.message} (${entry.err.code})`, entry.status, entry.errorCode]
    .filter(Boolean)
    .join(' ');
}

/** Inputs that found bugs, each pinned on a gateway of its own so that its log and fate stay apart. */
describe('inputs the generator found to break the gateway', () => {
  let spotify: FakeSpotify;
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    spotify = await startFakeSpotify();
  });
  afterAll(() => spotify.close());
  beforeEach(async () => {
    gw = await startTestGateway(spotify.env());
    port = Number(new URL(gw.url).port);
  });
  afterEach(() => gw.close());

  /** The log lines at error level or above, and request lines that say 500. */
  const serverErrors = (logs = gw.logs) =>
    logs.filter(
      (line) =>
        /"level":(50|60)/.test(line) ||
        /"msg":"(unexpected error|request failed)"/.test(line) ||
        (/"msg":"request"/.test(line) && /"status":500/.test(line)),
    );

  it('treats startAuth with options.sessionId null as no session, not as an internal error', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(StartAuthDocument), variables: { provider: 'spotify', options: { sessionId: null } } }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
    expect({ status: response.status, code: body.errors?.[0]?.extensions.code }).toEqual({ status: 200, code: undefined });
    expect(serverErrors()).toEqual([]);
  });

  it('does not log a body the client cuts short or garbles as a server error, nor record a 500', async () => {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const body = JSON.stringify({ query: '{ providers { id } }' });
    const head = `POST /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\n`;
    const cases = [
      {
        label: 'a truncated body, then the client closes',
        raw: `${head}Content-Length: 1000\r\n\r\n${body.slice(0, 10)}`,
        endAfterWrite: true,
      },
      {
        label: 'a truncated chunked body, then the client closes',
        raw: `${head}Transfer-Encoding: chunked\r\n\r\n5\r\n{"que`,
        endAfterWrite: true,
      },
      { label: 'headers only, then the client closes', raw: `${head}Content-Length: 10\r\n\r\n`, endAfterWrite: true },
      { label: 'a bad chunk size', raw: `${head}Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`, endAfterWrite: false },
      { label: 'an unknown transfer coding', raw: `${head}Transfer-Encoding: gzip\r\n\r\n${body}`, endAfterWrite: false },
    ];
    const found: Array<{ label: string; lines: string[] }> = [];
    for (const { label, raw, endAfterWrite } of cases) {
      const before = gw.logs.length;
      const answers = parseRaw(await rawExchange(port, [raw], { endAfterWrite }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(answers.every((answer) => answer.status < 500)).toBe(true);
      const lines = serverErrors(gw.logs.slice(before));
      if (lines.length > 0) found.push({ label, lines: lines.map(logSummary) });
    }
    expect(found).toEqual([]);
  });

  it('answers a request target that is not a path ("//x:99999/") with a 4xx instead of throwing', async () => {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    for (const target of ['//x:99999/', '//[', '//%%/healthz']) {
      const [answer] = parseRaw(await rawExchange(port, [`GET ${target} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`], { quietMs: 1000 }));
      expect({ target, answered: [400, 404].includes(answer?.status ?? 0) }).toEqual({ target, answered: true });
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(serverErrors()).toEqual([]);
  });
});
