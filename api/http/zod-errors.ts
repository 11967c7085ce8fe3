import type { z } from 'zod';
import { HttpProblem, type FieldError } from './problem.ts';

/** Dotted path of a zod issue, prefixed with where the value came from (body, query, params). */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || prefix || 'body';
    return { field, message: issue.message };
  });
}

export function validationProblem(error: z.ZodError, prefix?: string): HttpProblem {
  const errors = fieldErrors(error, prefix);
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new HttpProblem(400, `${first.field}: ${first.message}${more}`, { errors });
}
