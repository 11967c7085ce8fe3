import type { z } from 'zod';
import { HttpProblem, type FieldError } from './problem.ts';

const join = (...parts: (string | undefined)[]) => parts.filter(Boolean).join('.');

/**
 * Dotted field paths of zod issues, prefixed with where the value came from (query,
 * params; body fields are named bare). An unknown key is named itself, not its parent.
 */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: join(prefix, path, key), message: 'is not a known field' }));
    }
    return [{ field: join(prefix, path) || 'body', message: issue.message }];
  });
}

export function validationProblem(error: z.ZodError, prefix?: string): HttpProblem {
  const errors = fieldErrors(error, prefix);
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new HttpProblem(400, `${first.field}: ${first.message}${more}`, { errors });
}
