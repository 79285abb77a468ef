import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CONTRACT, contractEntry } from '../../../src/integration/events.ts';
import { schemaPath } from '../../../src/integration/schema-files.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** The committed JSON Schema files, compiled by a validator other than zod: what an outside consumer uses. */
export function publishedSchemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const validators = new Map(
    CONTRACT.map((entry) => [
      `${entry.type}.v${entry.version}`,
      ajv.compile(JSON.parse(readFileSync(`${root}${schemaPath(entry)}`, 'utf8'))),
    ]),
  );
  /** The validation errors of `value` (empty when it conforms). */
  return (value: { type: string; schemaVersion: number }): string[] => {
    if (!contractEntry(value.type, value.schemaVersion))
      return [`no published schema for ${value.type} v${value.schemaVersion}`];
    const validate = validators.get(`${value.type}.v${value.schemaVersion}`)!;
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}
