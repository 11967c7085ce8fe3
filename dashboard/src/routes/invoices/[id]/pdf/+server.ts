import { error } from '@sveltejs/kit';
import { problemOf } from '#lib/server/api.ts';
import type { RequestHandler } from './$types';

/** The invoice PDF, fetched with the session's token and handed to the browser as a download. */
export const GET = (async ({ locals, params }) => {
  const {
    data,
    error: problem,
    response,
  } = await locals.api.GET('/api/invoices/{id}/pdf', { params: { path: { id: params.id } }, parseAs: 'arrayBuffer' });
  if (!data) error(response.status === 403 ? 404 : response.status, problemOf(problem, response).detail);
  const filename = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `invoice-${params.id}.pdf`;
  return new Response(data, {
    headers: {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'private, no-store',
    },
  });
}) satisfies RequestHandler;
