import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { costLimit, depthLimit } from '../../src/graphql/limits.js';
import { buildGatewaySchema } from '../../src/graphql/schema.js';

const DEFAULTS = { graphqlMaxDepth: 8, graphqlMaxCost: 200 };

/** The rules as the server installs them. */
const queryLimits = (limits: typeof DEFAULTS) => [depthLimit(limits.graphqlMaxDepth), costLimit(limits.graphqlMaxCost)];

/**
 * The gateway's own schema nests at most 3 fields deep, so depth is exercised on a recursive schema
 * as a future one might have.
 */
const recursive = buildSchema(`
  type Query { node: Node, nodes: [Node!]! }
  type Node { name: String, tags: [String!]!, child: Node, children: [Node!]! }
`);

let gateway: GraphQLSchema;
beforeAll(async () => {
  gateway = await buildGatewaySchema();
});

/** The messages of the gateway's limits (at the defaults unless given) for a document. */
function limitErrors(source: string, schema = gateway, limits = DEFAULTS): string[] {
  return validate(schema, parse(source), queryLimits(limits)).map((e) => e.message);
}

/** Every error graphql-js and the limits report, as Apollo validates. */
function allErrors(source: string, schema = gateway): string[] {
  return validate(schema, parse(source), [...specifiedRules, ...queryLimits(DEFAULTS)]).map((e) => e.message);
}

/** The measured depth and cost of a one-operation document (a limit of 0 makes the rule say it). */
function measure(source: string, schema = gateway): { depth: number; cost: number } {
  const document = parse(source);
  const read = (message: string | undefined) => Number(/ (\d+)(?: of operation "[^"]*")? exceeds/.exec(message ?? '')?.[1] ?? 0);
  return {
    depth: read(validate(schema, document, [depthLimit(0)])[0]?.message),
    cost: read(validate(schema, document, [costLimit(0)])[0]?.message),
  };
}

/** `{ node { child { child { … name } } } }`: `levels` nested fields. */
const nested = (levels: number) => `{ node ${'{ child '.repeat(levels - 2)}{ name }${' }'.repeat(levels - 2)} }`;

describe('the query limits', () => {
  it('let every operation of the committed documents through at the defaults', () => {
    const source = readFileSync(new URL('../documents/operations.graphql', import.meta.url), 'utf8');
    for (const definition of parse(source).definitions) {
      const text = source.slice(definition.loc!.start, definition.loc!.end);
      expect(limitErrors(text)).toEqual([]);
    }
  });

  it('count depth as nested fields and cost as fields, lists of objects ten times', () => {
    expect(measure('{ providers { id name defaultScopes } }')).toEqual({ depth: 2, cost: 1 + 10 * 3 });
    const session = '{ session(sessionId: "x") { sessionId connections { provider scopes } } }';
    expect(measure(session)).toEqual({ depth: 3, cost: 1 + 1 + (1 + 10 * 2) });
    expect(measure('{ __typename }')).toEqual({ depth: 1, cost: 1 });
  });

  it('refuse an alias flood of providers', () => {
    const flood = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: providers { id }`).join(' ')} }`;
    expect(limitErrors(flood)).toEqual(['Query cost 11000 exceeds the limit of 200.']);
    // Even the cheapest field, aliased a thousand times.
    const typenames = `{ ${Array.from({ length: 1000 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect(limitErrors(typenames)).toEqual(['Query cost 1000 exceeds the limit of 200.']);
  });

  it('refuse a document nested past the depth limit, naming depth and limit', () => {
    expect(measure(nested(12), recursive).depth).toBe(12);
    expect(limitErrors(nested(12), recursive)).toEqual(['Query depth 12 exceeds the limit of 8.']);
    expect(limitErrors(nested(8), recursive)).toEqual([]);
    expect(limitErrors(`query Named ${nested(9)}`, recursive)).toEqual(['Query depth 9 of operation "Named" exceeds the limit of 8.']);
    // Inline fragments are no deeper than the fields they hold.
    const wrapped = `{ node { ${'... on Node { '.repeat(20)}name${' }'.repeat(20)} } }`;
    expect(measure(wrapped, recursive).depth).toBe(2);
  });

  it('multiply the cost of every level of nested lists of objects, not of lists of scalars', () => {
    expect(measure('{ nodes { children { name tags } } }', recursive).cost).toBe(1 + 10 * (1 + 10 * 2));
    expect(limitErrors('{ nodes { children { children { name } } } }', recursive)).toEqual(['Query cost 1111 exceeds the limit of 200.']);
    // Far past any safe integer, and still a number in the message.
    const lists = `{ nodes ${'{ children '.repeat(400)}{ name }${' }'.repeat(400)} }`;
    expect(limitErrors(lists, recursive, { graphqlMaxDepth: 1000, graphqlMaxCost: 200 })).toEqual([
      `Query cost ${Number.MAX_SAFE_INTEGER} exceeds the limit of 200.`,
    ]);
  });

  it('follow fragments: depth and cost through spreads, and fragments spread many times', () => {
    const viaFragments = `
      query Q { ...A }
      fragment A on Query { ... on Query { ...B } }
      fragment B on Query { node { ...N } }
      fragment N on Node { child { child { ...M } } }
      fragment M on Node { children { name } }`;
    expect(measure(viaFragments, recursive)).toEqual({ depth: 5, cost: 1 + (1 + (1 + (1 + 10 * 1))) });
    expect(limitErrors(viaFragments, recursive, { graphqlMaxDepth: 4, graphqlMaxCost: 200 })).toEqual([
      'Query depth 5 of operation "Q" exceeds the limit of 4.',
    ]);
    // Each fragment spreads the next twice: 2^30 `providers` fields if expanded naively.
    const levels = 30;
    const chain = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} a${i}: __typename ...F${i + 1} }`).join(
      '\n',
    );
    const started = performance.now();
    const errors = limitErrors(`query Q { ...F0 }\n${chain}\nfragment F${levels} on Query { providers { id } }`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(errors).toEqual([expect.stringMatching(/^Query cost \d+ of operation "Q" exceeds the limit of 200\.$/)]);
  });

  it('stay finite on fragment cycles, which graphql-js reports itself', () => {
    const cycle = `
      query Q { providers { ...A } }
      fragment A on Provider { id ...B }
      fragment B on Provider { name ...A }
      fragment Self on Provider { ...Self }`;
    expect(limitErrors(cycle)).toEqual([]);
    expect(allErrors(cycle)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Cannot spread fragment "A" within itself/),
        expect.stringMatching(/Cannot spread fragment "Self" within itself/),
      ]),
    );
  });

  it('measure every operation of a document, whichever is executed', () => {
    const flood = `{ ${Array.from({ length: 300 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect(limitErrors(`query Small { __typename }\nquery Big ${flood}`)).toEqual([
      'Query cost 300 of operation "Big" exceeds the limit of 200.',
    ]);
  });

  it('let the full introspection query through at the defaults (Apollo Sandbox)', () => {
    for (const options of [
      {},
      {
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      },
    ]) {
      const query = getIntrospectionQuery(options);
      expect(allErrors(query)).toEqual([]);
      expect(allErrors(query, recursive)).toEqual([]);
      const { depth, cost } = measure(query);
      expect(depth).toBe(0);
      expect(cost).toBeGreaterThan(30);
      expect(cost).toBeLessThan(100);
    }
    expect(
      allErrors(
        '{ __type(name: "Provider") { name fields { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } }',
      ),
    ).toEqual([]);
  });

  it('still bound introspection: aliased schema queries and aliased leaves are refused by cost', () => {
    const aliases = Array.from({ length: 150 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ');
    expect(limitErrors(`{ ${aliases} }`)).toEqual(['Query cost 300 exceeds the limit of 200.']);
    const leaves = Array.from({ length: 500 }, (_, i) => `n${i}: name`).join(' ');
    expect(limitErrors(`{ __schema { types { ${leaves} } } }`)).toEqual(['Query cost 502 exceeds the limit of 200.']);
    // Repeated leaves without aliases merge into one response field, and cost nothing more.
    expect(measure(`{ __schema { types { ${'name '.repeat(500)} } } }`).cost).toBe(2);
    expect(allErrors('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }')).toEqual([
      expect.stringMatching(/Maximum introspection depth exceeded/),
    ]);
  });

  it('count unknown fields once, leaving their report to graphql-js', () => {
    expect(measure('{ nope { deeper { still } } }')).toEqual({ depth: 3, cost: 3 });
    expect(allErrors('{ nope { deeper } }')).toEqual([expect.stringMatching(/Cannot query field "nope"/)]);
  });
});
