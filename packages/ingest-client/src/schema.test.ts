import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';

const root = join(import.meta.dirname, '../../..');
const schemaFile = join(import.meta.dirname, 'schema.d.ts');

describe('schema.d.ts', () => {
  it('is what openapi-typescript makes of api/openapi.json, formatted (run `npm run generate -w @meterplane/ingest-client`)', async () => {
    const document = JSON.parse(readFileSync(join(root, 'api/openapi.json'), 'utf8')) as Parameters<typeof openapiTS>[0];
    const generated = await format(astToString(await openapiTS(document)), {
      ...(await resolveConfig(schemaFile)),
      filepath: schemaFile,
    });
    const checkedIn = readFileSync(schemaFile, 'utf8');
    // The CLI adds a banner comment; the types below it must be identical.
    expect(checkedIn.slice(checkedIn.indexOf('export'))).toBe(generated.slice(generated.indexOf('export')));
  }, 60_000); // formatting 7,000 lines takes Prettier a few seconds
});
