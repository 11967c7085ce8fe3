/**
 * The /api/ws protocol (api/README.md documents it for clients). Every message is a JSON
 * object with a `type`.
 *
 * Client → server: `auth` (first message, within 5 s, when the upgrade carried no credential),
 * `subscribe` (narrow to some tenants; null for everything the role may see), `ping`.
 * Server → client: `ready` once authenticated, `subscribed`, `pong`, `error`, and the live
 * events: `usage.tick`, `alert.created`, `invoice.finalized`, `invoice.paid`, `invoice.voided`,
 * `subscription.updated`.
 */
import { z } from 'zod';

export const WS_PATH = '/api/ws';

/**
 * Close codes: 4401 not (or no longer) authenticated; 1001 the server is shutting down; 1008
 * the client sent messages faster than they are handled; 1011 authentication could not be checked.
 */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.object({ type: z.literal('subscribe'), tenantIds: z.array(z.string().min(1).max(200)).max(1000).nullable() }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Parses a client frame; null when it is not JSON or not a known message. */
export function parseClientMessage(data: string): ClientMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = clientMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
