import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  type ASTVisitor,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Validation rules that refuse abusive documents before anything executes. Apollo runs them after
 * graphql-js's own rules; a GraphQLError they report is answered as BAD_USER_INPUT (400).
 *
 * Both measures walk the operation with fragments expanded, so a fragment spread costs what its
 * fragment costs. Each fragment is measured once (memoized), which keeps fragments that spread other
 * fragments several times from taking exponential time, and a fragment already being measured counts
 * as nothing, which keeps cycles finite (graphql-js's NoFragmentCyclesRule reports them).
 *
 * - Depth: the deepest chain of nested fields, `{ session { connections { provider } } }` being 3.
 * - Cost: every field counts 1; a field returning a list of objects counts its selection ten times
 *   (lists of scalars are one value each and count 1). Aliases count as often as they appear, so
 *   `{ a: providers { id } b: providers { id } … }` grows with every alias.
 *
 * Introspection (`__schema`, `__type`) is measured apart so that Apollo Sandbox keeps working at the
 * defaults: its standard query nests `ofType` about a dozen levels deep and lists every type's fields
 * and their arguments. Inside those subtrees depth is not counted (graphql-js's
 * MaxIntrospectionDepthRule, one of its specified rules, already bounds their list nesting), there is
 * no list factor, and a leaf counts only when aliased: without aliases, repeated leaves merge into one
 * response field, so only objects and aliases can multiply the answer. The standard introspection
 * query then costs under 100, while aliasing it or its leaves stays bounded.
 */

/** The cost factor of a field returning a list of objects. */
export const LIST_FACTOR = 10;

/** Above this a measure stops growing, so that deeply nested lists never reach Infinity. */
const CEILING = Number.MAX_SAFE_INTEGER;

interface Measure {
  depth: number;
  cost: number;
}

const isIntrospectionRoot = (name: string) => name === '__schema' || name === '__type';

/** Measures every operation of a document, fragments expanded; one instance per validated document. */
class DocumentMeasure {
  private readonly memo = new Map<string, Measure>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly context: ValidationContext,
    private readonly schema: GraphQLSchema,
  ) {}

  /** `parent` is undefined where the type is unknown (an unknown field, reported by another rule). */
  selectionSet(set: SelectionSetNode | undefined, parent: GraphQLNamedType | undefined, introspection: boolean): Measure {
    let depth = 0;
    let cost = 0;
    for (const selection of set?.selections ?? []) {
      let inner: Measure;
      if (selection.kind === 'Field') {
        const aliased = selection.alias !== undefined && selection.alias.value !== selection.name.value;
        inner = this.field(selection.name.value, aliased, selection.selectionSet, parent, introspection);
      } else if (selection.kind === 'InlineFragment') {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        inner = this.selectionSet(selection.selectionSet, type, introspection);
      } else {
        inner = this.fragment(selection.name.value, introspection);
      }
      depth = Math.max(depth, inner.depth);
      cost = Math.min(CEILING, cost + inner.cost);
    }
    return { depth, cost };
  }

  private field(
    name: string,
    aliased: boolean,
    set: SelectionSetNode | undefined,
    parent: GraphQLNamedType | undefined,
    introspection: boolean,
  ): Measure {
    if (introspection || isIntrospectionRoot(name)) {
      const inner = this.selectionSet(set, undefined, true);
      // A leaf is free unless aliased: without an alias, repeats merge into one response field.
      return { depth: 0, cost: Math.min(CEILING, (set || aliased ? 1 : 0) + inner.cost) };
    }
    const definition: GraphQLField<unknown, unknown> | undefined =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    const inner = this.selectionSet(set, definition ? getNamedType(definition.type) : undefined, false);
    const factor = set && definition && isListType(getNullableType(definition.type)) ? LIST_FACTOR : 1;
    return { depth: Math.min(CEILING, 1 + inner.depth), cost: Math.min(CEILING, 1 + factor * inner.cost) };
  }

  private fragment(name: string, introspection: boolean): Measure {
    const key = `${introspection ? 'i' : 'o'}:${name}`;
    const known = this.memo.get(key);
    if (known) return known;
    const definition = this.context.getFragment(name);
    if (!definition || this.inProgress.has(key)) return { depth: 0, cost: 0 };
    this.inProgress.add(key);
    const measure = this.selectionSet(definition.selectionSet, this.schema.getType(definition.typeCondition.name.value), introspection);
    this.inProgress.delete(key);
    this.memo.set(key, measure);
    return measure;
  }
}

function limitRule(pick: (m: Measure) => number, limit: number, what: string): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const measure = new DocumentMeasure(context, schema);
    return {
      OperationDefinition(operation) {
        const value = pick(measure.selectionSet(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, false));
        if (value > limit) {
          const name = operation.name ? ` of operation "${operation.name.value}"` : '';
          context.reportError(new GraphQLError(`Query ${what} ${value}${name} exceeds the limit of ${limit}.`, { nodes: operation }));
        }
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}

/** Refuses operations whose fields nest deeper than `maxDepth` (introspection subtrees aside). */
export const depthLimit = (maxDepth: number): ValidationRule => limitRule((m) => m.depth, maxDepth, 'depth');

/** Refuses operations whose cost (see the module comment) is above `maxCost`. */
export const costLimit = (maxCost: number): ValidationRule => limitRule((m) => m.cost, maxCost, 'cost');
