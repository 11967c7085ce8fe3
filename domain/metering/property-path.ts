import { z } from 'zod';

/**
 * A dotted path into an event's `data` (metering/README.md, *Property path*): `tokens`, `usage.input_tokens`.
 * Segments are plain names, so a path can never smuggle quoting or JSONPath syntax into
 * a query; a key that itself contains a dot cannot be addressed.
 */
export const MAX_PATH_DEPTH = 8;
const SEGMENT_TEXT = '[A-Za-z0-9_$@:-]{1,64}';
const SEGMENT = new RegExp(`^${SEGMENT_TEXT}$`);

export const propertyPathSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .check((ctx) => {
    const segments = ctx.value.split('.');
    if (segments.length > MAX_PATH_DEPTH)
      ctx.issues.push({ code: 'custom', message: `must have at most ${MAX_PATH_DEPTH} segments`, input: ctx.value });
    else if (!segments.every((s) => SEGMENT.test(s))) {
      ctx.issues.push({
        code: 'custom',
        message: 'must be a dotted path of names made of letters, digits, _ $ @ : - (e.g. usage.input_tokens)',
        input: ctx.value,
      });
    }
  })
  .meta({
    description: 'Dotted path into the event data, e.g. usage.input_tokens',
    example: 'tokens',
    pattern: `^${SEGMENT_TEXT}(\\.${SEGMENT_TEXT}){0,${MAX_PATH_DEPTH - 1}}$`,
  });

export function pathSegments(path: string): string[] {
  return path.split('.');
}

/** The value at `path` in `data`, or undefined when any step is missing or not an object. */
export function valueAt(data: unknown, path: string): unknown {
  let node: unknown = data;
  for (const segment of pathSegments(path)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * How a property value compares in filters, groupBy keys and unique counts: a string is
 * its content, a number is its JSON text as sent, booleans are `true`/`false`.
 * Missing values and JSON null are null (absent); objects and arrays are their JSON text.
 * ClickHouse implements the same rule (usage-query.ts and its migration 0005).
 */
export function propertyText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
