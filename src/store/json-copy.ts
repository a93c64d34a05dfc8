/**
 * What `JSON.parse(JSON.stringify(value))` gives, deeply frozen, without writing and reading the text
 * in between: the in-process store keeps its records this way. For the data the gateway writes
 * (plain objects, arrays, strings, numbers, booleans, null, and values with a `toJSON` such as Date)
 * it is the same: a `toJSON` is called with the property's key, an object property whose value is
 * undefined, a function or a symbol is left out and an array element of those is null, a number that
 * is not finite is null and -0 is 0, an own `__proto__` key stays a key, and a BigInt throws the
 * TypeError JSON throws.
 * `test/unit/json-copy.test.ts` holds it to JSON's own answers.
 */
export function frozenJsonCopy(value: unknown, key = ''): unknown {
  if (value !== null && (typeof value === 'object' || typeof value === 'bigint')) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 + 0 is 0, as JSON writes it.
      return Number.isFinite(value) ? value + 0 : null;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      if (value === null) return null;
      return Array.isArray(value) ? copyArray(value) : copyObject(value as Record<string, unknown>);
    default:
      // undefined, a function, a symbol: JSON writes nothing for them.
      return undefined;
  }
}

function copyArray(items: readonly unknown[]): readonly unknown[] {
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = frozenJsonCopy(items[i], String(i));
    out[i] = item === undefined ? null : item;
  }
  return Object.freeze(out);
}

function copyObject(object: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(object)) {
    const inner = frozenJsonCopy(object[name], name);
    if (inner === undefined) continue;
    // An own __proto__ key (claims are the provider's) stays a key, as JSON.parse keeps it, not a prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value: inner, enumerable: true, writable: true, configurable: true });
    else out[name] = inner;
  }
  return Object.freeze(out);
}
