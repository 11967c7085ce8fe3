import { HttpProblem } from './problem.ts';

/**
 * How deep a request's JSON may nest. Far beyond any real body (an ingest event's `data` is
 * a few levels), and low enough that every recursive step after parsing (zod, the
 * serialisation of event rows, the database drivers) stays far from the stack limit: a body
 * nested 50,000 deep parses, but would overflow the stack when written back out.
 */
export const MAX_JSON_DEPTH = 64;

const field = (path: readonly (string | number)[]) => path.map(String).join('.') || 'body';

/**
 * The first field that no store can keep as sent: a string with U+0000 (PostgreSQL's text
 * refuses it, so it would fail a write or a later copy of the value, such as an alert's event
 * type), or nesting past MAX_JSON_DEPTH. Walks iteratively, so the check itself cannot
 * overflow the stack.
 */
export function jsonShapeError(value: unknown, prefix: readonly (string | number)[] = []): { field: string; message: string } | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [...prefix] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: field(path), message: 'must not contain the NUL character (U+0000)' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length - prefix.length >= MAX_JSON_DEPTH) return { field: field(path), message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
    for (const [key, item] of entries) {
      if (key.toString().includes('\u0000'))
        return { field: field([...path, key]), message: 'a key must not contain the NUL character (U+0000)' };
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return null;
}

/** Throws a 400 naming the field when `value` fails jsonShapeError. */
export function assertJsonShape(value: unknown, prefix: readonly (string | number)[] = []): void {
  const error = jsonShapeError(value, prefix);
  if (error) throw new HttpProblem(400, `${error.field}: ${error.message}`, { errors: [error] });
}
