import { badRequest } from './problem.ts';

// HTTP drops the spaces around a header value, so only what lies between them is the key.
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** The Idempotency-Key header's value; null without one (Koa reads an absent header as ''). */
export function idempotencyKeyOf(header: string): string | null {
  if (header === '') return null;
  if (!IDEMPOTENCY_KEY.test(header)) throw badRequest('Idempotency-Key', 'must be 1 to 255 printable ASCII characters');
  return header;
}
