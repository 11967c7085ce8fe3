import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { expect } from 'vitest';

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema?: object }> }> };
const document = JSON.parse(readFileSync(join(import.meta.dirname, '../../api/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS: under ESM its plugin function is the default export's default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;
addFormats(ajv);
ajv.addSchema({ $id: 'meterplane-openapi', components: document.components });
const compiled = new Map<string, ValidateFunction>();

function operationFor(method: string, path: string): Operation {
  const pathname = path.split('?')[0]!;
  for (const [template, ops] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname) && ops[method.toLowerCase()]) return ops[method.toLowerCase()]!;
  }
  throw new Error(`the OpenAPI document has no operation for ${method} ${pathname}`);
}

/**
 * Asserts that a response matches the schema the checked-in OpenAPI document declares
 * for its operation, status and content type. Undeclared statuses fail too.
 */
export function expectResponseMatchesSpec(
  method: string,
  path: string,
  res: { status: number; body: unknown; headers: Record<string, string> },
): void {
  const op = operationFor(method, path);
  const declared = op.responses[String(res.status)];
  expect(declared, `${op.operationId} does not declare status ${res.status}`).toBeDefined();
  const contentType = (res.headers['content-type'] ?? '').split(';')[0]!;
  const media = declared!.content?.[contentType];
  expect(media, `${op.operationId} ${res.status} does not declare ${contentType}`).toBeDefined();
  if (!media?.schema) return;
  const key = `${op.operationId} ${res.status} ${contentType}`;
  let validate = compiled.get(key);
  if (!validate) {
    const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"meterplane-openapi#/components/'));
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  const ok = validate(res.body);
  expect(ok, `${key}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 500)}`).toBe(true);
}
