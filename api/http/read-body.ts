import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { HttpProblem } from './problem.ts';
import { assertJsonShape } from './json-shape.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Media type without parameters, lower-cased ('' when absent). */
export function mediaType(ctx: Context): string {
  return (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Reads the body as text within `limit` bytes: over the limit is 413 before the body is
 * buffered further; a declared Content-Length over the limit is refused without reading.
 */
export async function readBodyText(ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (Number.isFinite(declared) && declared > limit) throw new HttpProblem(413, `request body is larger than ${limit} bytes`);
  try {
    return await getRawBody(ctx.req, { limit, encoding: 'utf8', length: Number.isFinite(declared) ? declared : undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new HttpProblem(413, `request body is larger than ${limit} bytes`);
    if (type === 'request.aborted') throw new HttpProblem(400, 'request was aborted by the client');
    throw new HttpProblem(400, `request body could not be read: ${(err as Error).message}`);
  }
}

export async function readJsonBody(
  ctx: Context,
  limit = DEFAULT_BODY_LIMIT,
  accepted: readonly string[] = ['application/json'],
): Promise<unknown> {
  const type = mediaType(ctx);
  if (!accepted.includes(type)) {
    throw new HttpProblem(415, `Content-Type must be ${accepted.join(' or ')}`, {
      errors: [{ field: 'Content-Type', message: `expected ${accepted.join(' or ')}, got ${type || 'nothing'}` }],
    });
  }
  const text = await readBodyText(ctx, limit);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, `body: not valid JSON (${(err as Error).message})`, {
      errors: [{ field: 'body', message: 'not valid JSON' }],
    });
  }
  assertJsonShape(body);
  return body;
}
