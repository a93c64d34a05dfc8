import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for a client of the gateway, from the committed SDL (or from a running gateway's
// /graphql outside production, where introspection is on).
const config: CodegenConfig = {
  schema: '../../schema/schema.graphql',
  documents: ['src/operations.graphql'],
  generates: {
    'src/generated/': {
      preset: 'client',
      // Documents as typed strings: sent as they are, no GraphQL library needed at run time.
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>', JSON: 'unknown' },
      },
    },
    // The client preset emits only the enums that a selected field returns; no field returns
    // ErrorCode (it travels in extensions.code), so it gets an output of its own.
    'src/generated/schema-enums.ts': {
      plugins: ['typescript'],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
  // Relative imports with their `.js` extension, as Node's and browsers' ES modules need.
  emitLegacyCommonJSImports: false,
  silent: true,
};

export default config;
