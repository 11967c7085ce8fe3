import { error, redirect } from '@sveltejs/kit';
import type { Handle } from '@sveltejs/kit/hooks';
import { apiClient } from '#lib/server/api.ts';
import { ApiCallLedger } from '#lib/server/api-calls.ts';
import { decide } from '#lib/server/access.ts';
import { SESSION_COOKIE, clearSession } from '#lib/server/session.ts';

/**
 * Every request: resolve the session cookie to a user through GET /api/auth/me (the API is
 * the only judge of a token), then apply the page rules of access.ts before any load or
 * action runs. Pages a viewer may not open answer 404, exactly like pages that do not exist.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const token = event.cookies.get(SESSION_COOKIE) ?? null;
  const calls = new ApiCallLedger();
  event.locals.api = apiClient(token, event.getClientAddress(), calls.fetch);
  event.locals.user = null;

  if (token) {
    const { data, response } = await event.locals.api.GET('/api/auth/me');
    if (data) event.locals.user = data.user;
    else if (response.status === 401) {
      clearSession(event.cookies, event.url);
      event.locals.api = apiClient(null, event.getClientAddress(), calls.fetch);
    } else error(502, 'The API is not answering; try again in a moment.');
  }
  calls.sessionChecked();

  const decision = decide(event.url.pathname, event.locals.user);
  if (decision.kind === 'login') {
    const back = event.url.pathname + event.url.search;
    redirect(303, back === '/' ? '/login' : `/login?next=${encodeURIComponent(back)}`);
  }
  if (decision.kind === 'redirect') redirect(303, decision.to);
  if (decision.kind === 'not-found') error(404, 'Not found');
  const response = await resolve(event);
  try {
    response.headers.set('x-api-calls', calls.header);
  } catch {
    // An API answer passed through as it is (the PDF download) has immutable headers; it made one call.
  }
  return response;
};
