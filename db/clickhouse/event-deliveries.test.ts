import { describe, expect, it } from 'vitest';
import { eventDeliveriesQueries } from './event-deliveries.ts';

describe('eventDeliveriesQueries', () => {
  it('reads one id of one tenant from both tables, with every value a parameter', () => {
    const id = "x' OR 1=1 --";
    const q = eventDeliveriesQueries({ tenantId: 't-1', id });
    for (const query of [q.events, q.redeliveries]) {
      expect(query.query_params).toEqual({ tenantId: 't-1', id });
      expect(query.query).toContain('WHERE tenant_id = {tenantId:String} AND event_id = {id:String}');
      expect(query.query).not.toContain(id);
    }
    expect(q.events.query).toMatch(/FROM usage_events WHERE/);
    expect(q.redeliveries.query).toMatch(/FROM usage_redeliveries WHERE/);
    expect(q.redeliveries.query).toContain('toString(toUnixTimestamp64Micro(winner_ingested_at)) AS winner_accepted_us');
  });

  it('refuses a query without a tenant', () => {
    expect(() => eventDeliveriesQueries({ tenantId: '', id: 'e' })).toThrow(/tenantId/);
  });
});
