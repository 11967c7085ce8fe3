import createClient, { type Client } from 'openapi-fetch';
import { error, fail, redirect } from '@sveltejs/kit';
import { API_URL } from '$app/env/private';
import type { paths } from '#lib/api/schema.d.ts';
import type { FormProblem, Schemas } from '#lib/types.ts';

/**
 * The typed API client. Every type comes from the OpenAPI document (`npm run api:client`
 * regenerates src/lib/api/schema.d.ts); nothing here restates a server type by hand.
 */
export type ApiClient = Client<paths>;
export type { FormProblem, Schemas };
export type User = Schemas['User'];
export type Problem = Schemas['Problem'];

/** A client for one request: the session's JWT as a bearer token, the browser's address forwarded. */
export function apiClient(
  token: string | null,
  clientAddress?: string,
  fetch?: (request: Request, init?: RequestInit) => Promise<Response>,
): ApiClient {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (clientAddress) headers['x-forwarded-for'] = clientAddress;
  return createClient<paths>({ baseUrl: API_URL, headers, ...(fetch ? { fetch } : {}) });
}

/** The API's problem+json body, or a stand-in built from the status when the body is not one. */
export function problemOf(body: unknown, response: Response): Problem {
  const b = body as Partial<Problem> | undefined;
  if (b && typeof b === 'object' && typeof b.detail === 'string') return b as Problem;
  return {
    type: 'about:blank',
    title: response.statusText || 'Error',
    status: response.status,
    detail: `the API answered ${response.status}`,
  };
}

/**
 * Turns an API error into `fail(status, {message, fields})`, so each of the API's
 * `errors[].field` shows next to the input of that name. Field paths like
 * `charges.0.tiers.1.upTo` are kept whole; forms name their inputs the same way. `form` names
 * the form that failed when a page has several.
 */
export function failFrom(body: unknown, response: Response, values?: Record<string, string>, form?: string) {
  if (response.status === 401) redirect(303, '/login');
  const problem = problemOf(body, response);
  const fields: Record<string, string> = {};
  for (const e of problem.errors ?? []) fields[e.field] ??= e.message;
  const message = problem.errors?.length ? 'Please correct the highlighted fields.' : problem.detail;
  return fail(response.status >= 500 ? 502 : response.status, { message, fields, values, form } satisfies FormProblem as FormProblem);
}

/** A form failure found before calling the API (same shape as `failFrom`'s). */
export function failWith(
  status: number,
  problem: { message?: string; fields?: Record<string, string>; values?: Record<string, string>; form?: string },
) {
  return fail(status, {
    message: problem.message ?? '',
    fields: problem.fields ?? {},
    values: problem.values,
    form: problem.form,
  } satisfies FormProblem as FormProblem);
}

/**
 * The data of a successful API answer, or the matching page error: 404 stays 404 (another
 * tenant's resource looks exactly like a missing one), 401 signs the user out.
 */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined) return result.data;
  const { response } = result;
  if (response.status === 401) redirect(303, '/login');
  if (response.status === 404 || response.status === 403) error(404, 'Not found');
  error(response.status >= 500 ? 502 : response.status, problemOf(result.error, response).detail);
}

/** Like `must`, for data a page can live without (an API that is not deployed, or a 404): null. */
export function optional<T>(result: { data?: T; error?: unknown; response: Response }): T | null {
  if (result.data !== undefined) return result.data;
  if (result.response.status === 401) redirect(303, '/login');
  return null;
}
