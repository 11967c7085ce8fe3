import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const SCHEMA_PATH = new URL('./schemas/compose-spec.json', import.meta.url);

/** Parses a compose file the way docker compose reads it: YAML 1.2 with merge keys (<<). */
export function parseCompose(text: string): unknown {
  return parse(text, { merge: true, maxAliasCount: -1 });
}

/**
 * Checks a compose document against the vendored Compose Specification schema and returns
 * one line per problem (empty when valid).
 */
export function validateComposeFile(text: string): string[] {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
  // strict: false: the specification is not written for ajv's strict mode (it has
  // `properties` without `type`, for example); validation itself is unaffected.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (validate(parseCompose(text))) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}
