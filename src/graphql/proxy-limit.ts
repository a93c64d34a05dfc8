import { GraphQLError, type ASTVisitor, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/** Root fields that each make one or more calls to a provider. */
const PROXY_FIELDS = new Set(['providerRequest', 'callProvider']);

/** At most this many provider API calls per operation (SPEC), so aliases cannot fan out upstream. */
export const MAX_PROXY_FIELDS = 5;

/**
 * Refuses an operation with more than `max` proxy fields at its root, counting aliases and fragment
 * spreads each time they appear (a fragment already being expanded counts nothing, so cycles, which
 * graphql-js reports itself, stay finite).
 */
export function proxyFieldLimit(max = MAX_PROXY_FIELDS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const count = (set: SelectionSetNode, expanding: Set<string>): number => {
      let n = 0;
      for (const selection of set.selections) {
        if (selection.kind === 'Field') n += PROXY_FIELDS.has(selection.name.value) ? 1 : 0;
        else if (selection.kind === 'InlineFragment') n += count(selection.selectionSet, expanding);
        else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          if (!fragment || expanding.has(name)) continue;
          expanding.add(name);
          n += count(fragment.selectionSet, expanding);
          expanding.delete(name);
        }
        if (n > max) return n; // enough to refuse: stop expanding
      }
      return n;
    };
    return {
      OperationDefinition(operation) {
        const n = count(operation.selectionSet, new Set());
        if (n > max) {
          context.reportError(
            new GraphQLError(`An operation may make at most ${max} provider API calls (providerRequest, callProvider).`, {
              nodes: operation,
            }),
          );
        }
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
