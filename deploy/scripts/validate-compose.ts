// Validates docker-compose.yml against the vendored Compose Specification schema
// (deploy/schemas/compose-spec.json, draft 2020-12) with ajv. YAML anchors and merge keys
// are resolved first, as docker compose does; ${VAR} interpolation is not needed for the
// check because every interpolated field in our file is a string.
//
//   node deploy/scripts/validate-compose.ts [compose-file]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateComposeFile } from '../compose-schema.ts';

const file = process.argv[2] ?? fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const errors = validateComposeFile(readFileSync(file, 'utf8'));
if (errors.length > 0) {
  process.stderr.write(`${file} does not match the Compose specification:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`${file}: valid against the Compose specification schema\n`);
