import { readFileSync } from 'node:fs';
import { genericOAuth2, genericOidc, PROFILE_FIELDS, type GenericOAuth2Spec, type GenericOidcSpec } from '../providers/generic.js';
import type { ProviderDefinition } from '../providers/types.js';
import { parseRules } from '../proxy/rules.js';
import { ConfigError } from './load-config.js';

const OIDC_KEYS = ['id', 'name', 'issuer', 'scopes', 'clientAuth', 'authorizationParams', 'apiUrl', 'proxy'];
const OAUTH2_KEYS = [
  'id',
  'name',
  'authorizationUrl',
  'tokenUrl',
  'profileUrl',
  'scopes',
  'clientAuth',
  'profile',
  'revocationUrl',
  'issuer',
  'authorizationParams',
  'apiUrl',
  'proxy',
];
const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post'];

/**
 * Reads PROVIDERS_FILE: a JSON array (or `{ "providers": [...] }`) of generic OpenID Connect
 * providers (`issuer`) and generic OAuth2 providers (`authorizationUrl`, `tokenUrl`, `profileUrl`,
 * `profile` mapping). Every problem in the file is listed; their secrets come from the environment.
 */
export function loadProvidersFile(path: string, reservedIds: readonly string[]): ProviderDefinition[] {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `is not valid JSON (${error.message})` : 'cannot be read';
    throw new ConfigError([`PROVIDERS_FILE: ${path} ${reason}`]);
  }
  const entries = Array.isArray(document)
    ? document
    : isObject(document) && Array.isArray(document.providers)
      ? document.providers
      : undefined;
  if (!entries) throw new ConfigError([`PROVIDERS_FILE: ${path} must hold an array of providers or { "providers": [...] }`]);

  const problems: string[] = [];
  const seen = new Set(reservedIds);
  const definitions: ProviderDefinition[] = [];
  entries.forEach((entry: unknown, index: number) => {
    const where = `PROVIDERS_FILE: provider #${index + 1}${isObject(entry) && typeof entry.id === 'string' ? ` ("${entry.id}")` : ''}`;
    const problem = (text: string) => problems.push(`${where}: ${text}`);
    if (!isObject(entry)) return problem('must be an object');

    const oidc = 'issuer' in entry && !('authorizationUrl' in entry);
    const allowed = oidc ? OIDC_KEYS : OAUTH2_KEYS;
    for (const key of Object.keys(entry)) if (!allowed.includes(key)) problem(`unknown key "${key}"`);

    if (typeof entry.id !== 'string' || !/^[a-z0-9-]{1,64}$/.test(entry.id)) problem('"id" must be 1 to 64 characters of a-z, 0-9 and -');
    else if (seen.has(entry.id)) problem(`the id "${entry.id}" is already taken`);
    else seen.add(entry.id);
    if (typeof entry.name !== 'string' || entry.name.trim() === '') problem('"name" must be a non-empty string');
    if (entry.clientAuth !== undefined && !CLIENT_AUTH.includes(entry.clientAuth as string))
      problem(`"clientAuth" must be one of ${CLIENT_AUTH.join(', ')}`);
    if (
      entry.scopes !== undefined &&
      !(Array.isArray(entry.scopes) && entry.scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s)))
    ) {
      problem('"scopes" must be an array of scope strings');
    }
    if (
      entry.authorizationParams !== undefined &&
      !(isObject(entry.authorizationParams) && Object.values(entry.authorizationParams).every((v) => typeof v === 'string'))
    ) {
      problem('"authorizationParams" must map names to strings');
    }
    proxyProblems(entry.proxy).forEach(problem);
    const urls = oidc ? ['issuer', 'apiUrl'] : ['authorizationUrl', 'tokenUrl', 'profileUrl', 'revocationUrl', 'issuer', 'apiUrl'];
    for (const key of urls) {
      const required = oidc ? key === 'issuer' : ['authorizationUrl', 'tokenUrl', 'profileUrl'].includes(key);
      if (entry[key] === undefined && !required) continue;
      if (!isHttpUrl(entry[key])) problem(`"${key}" must be an http(s) URL`);
    }
    if (!oidc) {
      if (!Array.isArray(entry.scopes)) problem('"scopes" is required');
      if (entry.clientAuth === undefined) problem('"clientAuth" is required');
      if (!isObject(entry.profile)) problem('"profile" must map profile fields to paths in the profile document');
      else {
        if (typeof entry.profile.id !== 'string') problem('"profile.id" is required (the path of the user id)');
        for (const [field, path] of Object.entries(entry.profile)) {
          if (!(PROFILE_FIELDS as readonly string[]).includes(field))
            problem(`"profile.${field}" is not a profile field (${PROFILE_FIELDS.join(', ')})`);
          else if (typeof path !== 'string' || path === '') problem(`"profile.${field}" must be a path such as "data.user.id"`);
        }
      }
    }
    if (problems.some((p) => p.startsWith(where))) return;
    definitions.push(oidc ? genericOidc(entry as unknown as GenericOidcSpec) : genericOAuth2(entry as unknown as GenericOAuth2Spec));
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return definitions;
}

/** `"proxy": { "allow": ["GET /user/**"], "appAllow": [...] }`: rules as in the built-in definitions. */
function proxyProblems(proxy: unknown): string[] {
  if (proxy === undefined) return [];
  if (!isObject(proxy)) return ['"proxy" must be an object { "allow": [rules], "appAllow": [rules] }'];
  const problems = Object.keys(proxy)
    .filter((key) => key !== 'allow' && key !== 'appAllow')
    .map((key) => `unknown key "proxy.${key}"`);
  for (const key of ['allow', 'appAllow'] as const) {
    const list = proxy[key];
    if (list === undefined && key === 'appAllow') continue;
    if (!Array.isArray(list) || !list.every((rule) => typeof rule === 'string')) {
      problems.push(`"proxy.${key}" must be an array of "METHOD /pattern" rules`);
      continue;
    }
    problems.push(...parseRules(list as string[]).problems.map((p) => `"proxy.${key}": ${p}`));
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
