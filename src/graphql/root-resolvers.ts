import { GraphQLScalarType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { validateArgs } from './validate.js';

type Class = new () => Record<string, unknown>;
type Converter = (value: unknown) => unknown;

/**
 * Calls each root field's resolver method directly. type-graphql's own resolver for a root field is
 * generic: it re-sorts the parameters, dispatches through the middleware chain, converts the
 * arguments to class instances by searching its metadata on every call, and awaits an asynchronous
 * validation step, even when (as here) there is no middleware, no auth checker and validation is
 * synchronous. On the hot paths (`profile`, `providerRequest`, `startAuth`) that was a tenth of the
 * gateway's own work. The direct resolver does the same things once planned: arguments become the
 * same class instances (input types nested, lists item by item), are validated by `validateArgs`,
 * and the method gets them with the context in its declared order. A field whose method takes
 * anything else (root, info, a custom decorator), or has middleware or roles, keeps type-graphql's.
 */
export function callRootResolversDirectly(schema: GraphQLSchema, resolverClasses: readonly Function[]): void {
  const storage = getMetadataStorage();
  const roots = [
    { type: schema.getQueryType(), resolvers: storage.queries },
    { type: schema.getMutationType(), resolvers: storage.mutations },
  ];
  const instances = new Map<Function, Record<string, unknown>>();
  for (const { type, resolvers } of roots) {
    if (!type) continue;
    const fields = type.getFields();
    for (const meta of resolvers) {
      const field = fields[meta.schemaName];
      if (!field || !resolverClasses.includes(meta.target)) continue;
      if ((meta.middlewares?.length ?? 0) > 0 || meta.roles !== undefined) continue;
      const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
      if (!params.every((p) => p.kind === 'args' || p.kind === 'context')) continue;
      if (params.some((p) => p.kind === 'context' && p.propertyName !== undefined)) continue;
      let instance = instances.get(meta.target);
      if (!instance) {
        instance = new (meta.target as Class)();
        instances.set(meta.target, instance);
      }
      const method = instance[meta.methodName] as (...args: unknown[]) => unknown;
      const target = instance;
      const planned = params.map((p) => (p.kind === 'args' ? argsConverter(p.getType() as Class) : undefined));
      const resolve: GraphQLFieldResolver<unknown, unknown> = (_root, args, context) => {
        const values = planned.map((convert) => {
          if (!convert) return context;
          const value = convert(args);
          validateArgs(value);
          return value;
        });
        return method.apply(target, values);
      };
      field.resolve = resolve;
    }
  }
}

/** The fields of an args or input class, its superclasses' included (a subclass's own first). */
function fieldsOf(ctor: Function, kind: 'argumentTypes' | 'inputTypes') {
  const storage = getMetadataStorage();
  const fields: Array<{ name: string; getType: () => unknown }> = [];
  for (let c: Function | null = ctor; c && c.prototype !== undefined; c = Object.getPrototypeOf(c) as Function | null) {
    const meta = storage[kind].find((t) => t.target === c);
    for (const f of meta?.fields ?? []) if (!fields.some((g) => g.name === f.name)) fields.push(f);
  }
  return fields;
}

/** `args` as an instance of the args class, each input-typed field converted (as type-graphql does). */
function argsConverter(ctor: Class): Converter {
  const fields = fieldsOf(ctor, 'argumentTypes').map((f) => ({ name: f.name, convert: valueConverter(f.getType()) }));
  return (args) => instanceOf(ctor, fields, args as Record<string, unknown>);
}

const converters = new Map<unknown, Converter>();

/** Input types become instances of their class, lists item by item; scalars and enums stay as they are. */
function valueConverter(type: unknown): Converter {
  let converter = converters.get(type);
  if (converter) return converter;
  const storage = getMetadataStorage();
  if (typeof type === 'function' && !(type instanceof GraphQLScalarType) && storage.inputTypes.some((t) => t.target === type)) {
    const ctor = type as Class;
    // Set before the fields are planned: an input type may contain itself.
    let fields: Array<{ name: string; convert: Converter }> | undefined;
    const single: Converter = (value) => {
      fields ??= fieldsOf(ctor, 'inputTypes').map((f) => ({ name: f.name, convert: valueConverter(f.getType()) }));
      return value === null || typeof value !== 'object' ? value : instanceOf(ctor, fields, value as Record<string, unknown>);
    };
    converter = (value) => (Array.isArray(value) ? value.map(single) : single(value));
  } else {
    converter = (value) => value;
  }
  converters.set(type, converter);
  return converter;
}

function instanceOf(
  ctor: Class,
  fields: ReadonlyArray<{ name: string; convert: Converter }>,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const instance = new ctor();
  for (const { name, convert } of fields) {
    const value = data[name];
    if (value !== undefined) instance[name] = value === null ? null : convert(value);
  }
  return instance;
}
