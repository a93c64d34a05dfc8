import 'reflect-metadata';
import { GraphQLEnumType, GraphQLSchema, printSchema, type GraphQLNamedType } from 'graphql';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { ProxyResolver } from './proxy.resolver.js';
import { GatewayResolver } from './resolvers.js';
import { callRootResolversDirectly } from './root-resolvers.js';
import { validateArgs } from './validate.js';
import { ErrorCode } from '../errors/codes.js';

/**
 * Builds the executable schema; every argument is validated against its class-validator decorators,
 * and root fields call their resolver methods directly (see callRootResolversDirectly).
 * The ErrorCode enum is used by no field, yet typed clients need it: it is added to the schema's
 * types explicitly.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const resolvers = [GatewayResolver, ProxyResolver] as const;
  const schema = await buildSchema({ resolvers, validateFn: validateArgs, emitSchemaFile: false });
  callRootResolversDirectly(schema, resolvers);
  if (schema.getType('ErrorCode')) return schema;
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, types: [...config.types, errorCodeEnum()] });
}

function errorCodeEnum(): GraphQLNamedType {
  const meta = getMetadataStorage().enums.find((e) => e.enumObj === ErrorCode)!;
  return new GraphQLEnumType({
    name: meta.name,
    description: meta.description,
    values: Object.fromEntries(
      Object.values(ErrorCode).map((code) => [code, { value: code, description: meta.valuesConfig[code]?.description }]),
    ),
  });
}

/** The SDL as committed in schema/schema.graphql. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(schema)}\n`;
}
