import type { ClickHouseClient } from '@clickhouse/client';
import { parseJsonLossless } from '../../domain/metering/index.ts';
import type { StoredDelivery } from '../../domain/billing/explain-event.ts';
import type { ClickHouseQuery } from './usage-query.ts';

/**
 * Every stored delivery of one event id in one tenant, for "explain this event": the first
 * deliveries from `usage_events` (one per source that sent the id) and the later ones from
 * `usage_redeliveries`, each with the type, time and stamp of the event it repeats.
 *
 * Cost: the id is not in either sort key, so each query scans the tenant's range of its table
 * (the tenant leads both keys, so no other tenant's granules are read) for the event_id column.
 * That is a point diagnostic's price, paid once per question; usage reads never do this.
 * Every source is read, even when the caller names one: a delivery from that source may have
 * been recorded against an event of another source (the migration of old data did so).
 */
const STAMPS = `toString(toUnixTimestamp64Milli(event_time)) AS time_ms, subject, data, toString(toUnixTimestamp64Micro(ingested_at)) AS accepted_us`;

export function eventDeliveriesQueries(q: { tenantId: string; id: string }): { events: ClickHouseQuery; redeliveries: ClickHouseQuery } {
  if (!q.tenantId) throw new Error('an event query needs a tenantId');
  const query_params = { tenantId: q.tenantId, id: q.id };
  const where = 'tenant_id = {tenantId:String} AND event_id = {id:String}';
  return {
    events: {
      query: `SELECT toString(source) AS source, event_id AS id, toString(event_type) AS type, ${STAMPS} FROM usage_events WHERE ${where} ORDER BY ingested_at, source`,
      query_params,
    },
    redeliveries: {
      query: `SELECT toString(source) AS source, event_id AS id, toString(event_type) AS type, ${STAMPS}, toString(winner_event_type) AS winner_type, toString(toUnixTimestamp64Milli(winner_event_time)) AS winner_time_ms, toString(toUnixTimestamp64Micro(winner_ingested_at)) AS winner_accepted_us FROM usage_redeliveries WHERE ${where} ORDER BY ingested_at, source`,
      query_params,
    },
  };
}

export type StoredEventDeliveries = { event: StoredDelivery; redeliveries: StoredDelivery[] };

type Row = { source: string; id: string; type: string; time_ms: string; subject: string; data: string; accepted_us: string };
type RedeliveryRow = Row & { winner_type: string; winner_time_ms: string; winner_accepted_us: string };

const delivery = (r: Row): StoredDelivery => {
  const data = parseJsonLossless(r.data);
  return {
    source: r.source,
    id: r.id,
    type: r.type,
    timeMs: Number(r.time_ms),
    subject: r.subject,
    acceptedAtUs: BigInt(r.accepted_us),
    data: data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
  };
};

/**
 * The events stored under `id` in the tenant (one per source), oldest first, each with the
 * later deliveries recorded against it: a redelivery repeats the event whose type and time it
 * names and whose stamp it names, or (should the stamps differ) whose source it shares.
 */
export async function readEventDeliveries(client: ClickHouseClient, q: { tenantId: string; id: string }): Promise<StoredEventDeliveries[]> {
  const queries = eventDeliveriesQueries(q);
  const [events, redeliveries] = await Promise.all(
    [queries.events, queries.redeliveries].map(async (query) =>
      (await client.query({ ...query, format: 'JSONEachRow' })).json<RedeliveryRow>(),
    ),
  );
  const stored = events!.map((r) => ({ event: delivery(r), redeliveries: [] as StoredDelivery[] }));
  for (const r of redeliveries!) {
    const repeats = (e: StoredDelivery, sameStamp: boolean) =>
      e.type === r.winner_type &&
      e.timeMs === Number(r.winner_time_ms) &&
      (sameStamp ? e.acceptedAtUs === BigInt(r.winner_accepted_us) : e.source === r.source);
    const owner = stored.find((s) => repeats(s.event, true)) ?? stored.find((s) => repeats(s.event, false));
    owner?.redeliveries.push(delivery(r));
  }
  return stored;
}
