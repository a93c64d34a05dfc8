import { readFileSync, writeFileSync } from 'node:fs';
import { buildGatewaySchema, printGatewaySchema } from '../src/graphql/schema.js';

// Writes schema/schema.graphql from the code; with --check, fails when the committed file differs.
const file = new URL('../../schema/schema.graphql', import.meta.url);
const sdl = printGatewaySchema(await buildGatewaySchema());

if (process.argv.includes('--check')) {
  const committed = readFileSync(file, 'utf8');
  if (committed !== sdl) {
    process.stderr.write('schema/schema.graphql differs from the schema the code builds: run `npm run schema:emit` and commit it.\n');
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql matches the code.\n');
} else {
  writeFileSync(file, sdl);
  process.stdout.write('wrote schema/schema.graphql\n');
}
