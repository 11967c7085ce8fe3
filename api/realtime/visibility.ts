import type { Principal } from '../http/route.ts';
import type { RealtimeEvent } from '../../db/postgres/realtime-events.ts';

/**
 * Who may receive a live event, by role, as for the REST routes: admin and finance see every
 * tenant's events (usage, alerts, invoices, subscriptions); a customer only their own tenant's.
 * API keys are for posting usage and receive nothing.
 */
export function mayReceive(principal: Principal, event: Pick<RealtimeEvent, 'tenantId'>): boolean {
  if (principal.kind !== 'user') return false;
  if (principal.role === 'admin' || principal.role === 'finance') return true;
  return principal.tenantId !== null && principal.tenantId === event.tenantId;
}
