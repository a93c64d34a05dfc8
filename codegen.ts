import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for clients of the gateway, generated from the committed SDL. The integration
// tests call the API through these, so a schema change that breaks clients breaks the tests.
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/documents/*.graphql'],
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>', JSON: 'unknown' },
      },
    },
  },
  emitLegacyCommonJSImports: false,
  silent: true,
};

export default config;
