import 'reflect-metadata';
import { GraphQLEnumType, GraphQLSchema, printSchema, type GraphQLNamedType } from 'graphql';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { GatewayResolver } from './resolvers.js';
import { ErrorCode } from '../errors/codes.js';

/**
 * Builds the executable schema (class-validator on, so args are validated). The ErrorCode enum is
 * used by no field, yet typed clients need it: it is added to the schema's types explicitly.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers: [GatewayResolver], validate: { forbidUnknownValues: false }, emitSchemaFile: false });
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
