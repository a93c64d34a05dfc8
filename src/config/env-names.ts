type Env = Record<string, string | undefined>;

/** The prefix of a provider's variables: its id upper-cased, `-` turned into `_` (`MICROSOFT_ENTRA_ID`). */
export const envPrefix = (providerId: string): string => providerId.toUpperCase().replace(/-/g, '_');

/**
 * The environment as the configuration sees it, recording every name that is read. The list of
 * known variables is therefore whatever the code actually reads, per provider too (`<ID>_...`),
 * and a variable added anywhere in the loader is known without a list to keep up to date.
 */
export function recordingEnv(env: Env): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, name, receiver) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name, receiver) as unknown;
    },
    has(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.has(target, name);
    },
  });
  return { env: proxy, read };
}

/** Names of the system, the shell and the tools, which are never the gateway's (unless a near miss). */
const FOREIGN =
  /^(NODE|NPM|XDG|LC|SSH|GIT|JEST|TERM|DBUS|DISPLAY|WAYLAND|DEBIAN|DOCKER|KUBERNETES|SHLVL|OLDPWD|PWD|HOME|PATH|USER|LOGNAME|SHELL|LANG|LANGUAGE|HOSTNAME|TMPDIR|TZ|CI|COLORTERM|EDITOR|PAGER|MAIL|TMUX|STY|VSCODE|INIT|COLOR|FORCE_COLOR)(_|$)/;

/**
 * Variables that look like the gateway's but are not read by it, each with the name it probably
 * meant: a known provider's prefix (`GITHUB_CLIENTID`), or a near miss of a known name (`REDIS_URI`).
 */
export function unknownVariableWarnings(env: Env, known: ReadonlySet<string>, providerIds: readonly string[]): string[] {
  const prefixes = providerIds.map((id) => `${envPrefix(id)}_`);
  const knownNames = [...known].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name));
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.has(name) || !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(name) || env[name] === undefined) continue;
    const prefix = prefixes.find((p) => name.startsWith(p));
    const suggestion = prefix
      ? closest(
          name,
          knownNames.filter((k) => k.startsWith(prefix)),
          Infinity,
          prefix,
        )
      : closest(name, knownNames, name.length >= 8 ? 2 : 1, '');
    if (!suggestion && (FOREIGN.test(name) || !prefix)) continue;
    warnings.push(
      `${name} is not a variable the gateway reads${suggestion ? `: did you mean ${suggestion}?` : ''} (it is ignored; see .env.example)`,
    );
  }
  return warnings;
}

/**
 * The known name nearest to `name`: first one with the same letters (`CLIENTID`) or, after a
 * provider's prefix, one that ends with the same word (`GITHUB_SECRET`); then by edit distance.
 */
function closest(name: string, candidates: readonly string[], maxDistance: number, prefix: string): string | undefined {
  const squashed = name.replace(/_/g, '');
  const rest = name.slice(prefix.length);
  let best: { name: string; score: number } | undefined;
  for (const candidate of candidates) {
    const sameWords = candidate.replace(/_/g, '') === squashed || (prefix !== '' && candidate.endsWith(`_${rest}`));
    const distance = editDistance(name, candidate);
    if (!sameWords && distance > maxDistance) continue;
    const score = sameWords ? 0 : distance;
    if (!best || score < best.score) best = { name: candidate, score };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing one. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
