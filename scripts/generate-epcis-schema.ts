/**
 * Regenerates src/epcis/schema/epcis-json-schema.ts from EPCIS-JSON-Schema.json beside it (the GS1
 * file, see that folder's README.md): `npm run generate:epcis-schema`. The output is the JSON as
 * JSON.stringify prints it with two-space indentation, not Prettier's layout (the file is in
 * .prettierignore); test/epcis/epcis.test.ts checks the committed file is byte for byte this output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCHEMA_JSON = fileURLToPath(new URL('../src/epcis/schema/EPCIS-JSON-Schema.json', import.meta.url));
export const SCHEMA_MODULE = fileURLToPath(new URL('../src/epcis/schema/epcis-json-schema.ts', import.meta.url));

const HEADER =
  '/* Generated from EPCIS-JSON-Schema.json beside this file (GS1 EPCIS 2.0, see README.md); ' +
  'a test checks they are equal. Do not edit. */';

/** The TypeScript module for the schema's JSON text. */
export function epcisSchemaModule(jsonText: string): string {
  const schema = JSON.parse(jsonText) as unknown;
  return `${HEADER}\nexport const EPCIS_JSON_SCHEMA: Record<string, unknown> = ${JSON.stringify(schema, null, 2)};\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_MODULE, epcisSchemaModule(readFileSync(SCHEMA_JSON, 'utf8')));
  process.stdout.write(`wrote ${SCHEMA_MODULE}\n`);
}
