import { z } from 'zod';
import { CONTRACT, type ContractEntry } from './events.ts';

/** Where the published JSON Schemas live, relative to the repository root. */
export const SCHEMAS_DIR = 'schemas/integration';

export const schemaPath = (entry: Pick<ContractEntry, 'topic' | 'type' | 'version'>) =>
  `${SCHEMAS_DIR}/${entry.topic}/${entry.type}.v${entry.version}.json`;

/** One JSON Schema (draft 2020-12) per published event type and version, generated from the zod contract. */
export function integrationSchemaFiles(): { path: string; document: Record<string, unknown> }[] {
  return CONTRACT.map((entry) => {
    const { $schema, ...schema } = z.toJSONSchema(entry.schema, { target: 'draft-2020-12' });
    const document = {
      $schema,
      $id: `urn:eventful-commerce:integration:${entry.topic}:${entry.type}:v${entry.version}`,
      title: `${entry.type} v${entry.version} (Kafka topic "${entry.topic}")`,
      ...schema,
    };
    return { path: schemaPath(entry), document };
  });
}
