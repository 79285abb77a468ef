// Writes the JSON Schemas of the published integration events (src/integration/events.ts) under
// schemas/integration/<topic>/<EventType>.v<version>.json.   npm run schemas
// A test fails when the files differ from what this writes, so a contract change is always visible.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { integrationSchemaFiles } from '../src/integration/schema-files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const file of integrationSchemaFiles()) {
  const target = join(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  const options = { ...(await resolveConfig(target)), filepath: target };
  writeFileSync(target, await format(JSON.stringify(file.document), options));
  console.log(`wrote ${file.path}`);
}
