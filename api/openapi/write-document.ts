import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApiDocumentOfRoutes } from './document-of-routes.ts';

// Checked in so that API changes show up in review; a test fails when it is stale.
const out = join(import.meta.dirname, '../openapi.json');
await writeFile(out, `${JSON.stringify(openApiDocumentOfRoutes(), null, 2)}\n`);
console.log(`wrote ${out}`);
