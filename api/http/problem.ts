import { z } from 'zod';

/** RFC 9457 problem details; `errors` lists per-field problems (index is set for batch items). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string(), index: z.number().int().optional() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

export type Problem = z.infer<typeof problemSchema>;
export type FieldError = { field: string; message: string; index?: number };

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error that the error middleware turns into a problem+json response. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  /** RFC 9457 extension members, declared by the route's response schema (e.g. pendingAttemptId). */
  readonly extensions: Record<string, unknown>;
  constructor(
    status: number,
    detail: string,
    opts: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.status = status;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
    this.extensions = opts.extensions ?? {};
  }
}

export function problemBody(
  status: number,
  detail: string,
  errors?: FieldError[],
  instance?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const title = TITLES[status] ?? 'Error';
  return {
    type: `https://meterplane.dev/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail,
    ...(instance ? { instance } : {}),
    ...(errors?.length ? { errors } : {}),
    ...extensions,
  };
}

export const badRequest = (field: string, message: string) =>
  new HttpProblem(400, `${field}: ${message}`, { errors: [{ field, message }] });
export const notFound = (what: string) => new HttpProblem(404, `${what} not found`);
export const forbidden = (detail = 'your role does not allow this action') => new HttpProblem(403, detail);
export const unauthorized = (detail = 'authentication required') =>
  new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const conflict = (field: string, message: string) => new HttpProblem(409, `${field}: ${message}`, { errors: [{ field, message }] });
