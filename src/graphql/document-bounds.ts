import { Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';

/**
 * A cheap, linear count over a document, run before graphql-js validates it. Validation is where an
 * anonymous caller can make the gateway work hard on a small request: OverlappingFieldsCanBeMerged
 * compares fields pairwise across fragments, and a 13 KiB chain of 300 fragments cost ~47 ms of the
 * one event loop in the 2026-12 review. The depth and cost rules (limits.ts) run in that same pass,
 * too late to spare it. The API's own operations use no fragment, a handful of fields and no alias;
 * the standard introspection query (Apollo Sandbox, codegen) uses 3 fragments and about a hundred
 * selections. The bounds leave room above both.
 */
export const DOCUMENT_BOUNDS = {
  /** Fragment definitions. */
  fragments: 20,
  /** Fields, fragment spreads and inline fragments, counted as written (fragments not expanded). */
  selections: 400,
  /** Aliased fields: each one can repeat a root field's work. */
  aliases: 40,
} as const;

/**
 * Why the document is refused, or undefined when it is within bounds. A document that does not parse
 * (including one past `maxTokens`) is left to Apollo, which parses with the same token limit and
 * answers with its own syntax error.
 */
export function documentProblem(query: string, maxTokens: number): string | undefined {
  // Clients send the same few documents again and again: one parse each, not one per request
  // (Apollo keeps its own parsed copies the same way).
  if (withinBounds.has(query)) return undefined;
  const problem = countProblem(query, maxTokens);
  if (problem === undefined && query.length <= CACHED_DOCUMENT_CHARS) {
    if (withinBounds.size >= CACHED_DOCUMENTS) withinBounds.clear();
    withinBounds.add(query);
  }
  return problem;
}

/** Documents already found within bounds: at most this many, of at most this many characters each. */
const CACHED_DOCUMENTS = 1000;
const CACHED_DOCUMENT_CHARS = 4096;
const withinBounds = new Set<string>();

function countProblem(query: string, maxTokens: number): string | undefined {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens, noLocation: true });
  } catch {
    return undefined;
  }
  let fragments = 0;
  let selections = 0;
  let aliases = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments++;
    if (definition.kind === Kind.FRAGMENT_DEFINITION || definition.kind === Kind.OPERATION_DEFINITION)
      pending.push(definition.selectionSet);
  }
  if (fragments > DOCUMENT_BOUNDS.fragments) return tooMany(fragments, 'fragments', DOCUMENT_BOUNDS.fragments);
  // A stack, not recursion: the parser accepts nesting deep enough to overflow the call stack.
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      selections++;
      if (selection.kind === Kind.FIELD && selection.alias) aliases++;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
    }
    if (selections > DOCUMENT_BOUNDS.selections) return tooMany(selections, 'selections', DOCUMENT_BOUNDS.selections);
    if (aliases > DOCUMENT_BOUNDS.aliases) return tooMany(aliases, 'aliased fields', DOCUMENT_BOUNDS.aliases);
  }
  return undefined;
}

const tooMany = (count: number, what: string, limit: number) =>
  `The document has more than ${limit} ${what} (${count} counted so far); it is refused before validation.`;
