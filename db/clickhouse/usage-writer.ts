import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { WRITER_CONFIRM_SETTINGS } from './cluster-settings.ts';
import { retryWhileQuorumBusy } from './quorum-retry.ts';

/**
 * Writes accepted usage events, deduplicated at ingest: `usage_events` holds only the first
 * delivery of each event (tenant, source, id), so every read is a plain aggregation.
 *
 * One flush (a batch of rows in acceptance order), under the flush lock of its tenants:
 *   1. drop the batch's own repeats (the earlier row wins);
 *   2. look the remaining keys up in the first-delivery index (usage_first_deliveries, one
 *      hash probe per key) and confirm each hit against usage_events (see `confirmHits`);
 *   3. add the new events to the index, then insert them into usage_events, then record the
 *      redeliveries in usage_redeliveries.
 * The index is written before the events so that a crash in between can never let an event
 * be stored without its index entry (that would count a retry twice); the opposite leftover,
 * an index entry whose event was never stored, is recognised in step 2 and ignored. The
 * promise resolves only once all three inserts committed, so an acknowledgement stays durable.
 *
 * Rows are serialised once, when a request is accepted (pendingRow), so a flush only joins text.
 *
 * On a sharded deployment (deploy/clickhouse/cluster.sql) the index is a table of the node the
 * client is connected to, the one node that holds it, while usage_events and usage_redeliveries
 * are Distributed tables: the inserts reach the tenant's shard, and the confirming reads are
 * sent with WRITER_CONFIRM_SETTINGS so that a lagging replica cannot hide a stored event.
 */
export const USAGE_EVENT_COLUMNS = [
  'tenant_id',
  'event_id',
  'event_type',
  'event_time',
  'subject',
  'source',
  'data',
  'ingested_at',
] as const;

export type UsageEventRow = {
  tenantId: string;
  eventId: string;
  eventType: string;
  /** `YYYY-MM-DD hh:mm:ss.sss` UTC (clickhouseTime). */
  eventTime: string;
  subject: string;
  source: string;
  /** The event's data as JSON text, numbers exactly as sent. */
  data: string;
  /** `YYYY-MM-DD hh:mm:ss.ffffff` UTC: the acceptance stamp of this delivery. */
  ingestedAt: string;
};

/**
 * An accepted row, with its JSONCompactEachRow line (columns in USAGE_EVENT_COLUMNS order) and
 * the reservation the event settles, if it names one (not stored in ClickHouse).
 */
export type PendingRow = { row: UsageEventRow; line: string; reservationId?: string };

export function serializeUsageRow(r: UsageEventRow): string {
  return JSON.stringify([r.tenantId, r.eventId, r.eventType, r.eventTime, r.subject, r.source, r.data, r.ingestedAt]);
}

export const pendingRow = (row: UsageEventRow, reservationId?: string): PendingRow =>
  reservationId ? { row, line: serializeUsageRow(row), reservationId } : { row, line: serializeUsageRow(row) };

/** What a flush stored: first deliveries, and redeliveries recorded but not counted. */
export type WriteOutcome = { stored: number; redelivered: number };

export type UsageEventWriter = (rows: readonly PendingRow[]) => Promise<WriteOutcome>;

/**
 * Runs `fn` while no other flush of any of these tenants runs, in this process or any other
 * writing to the same ClickHouse (api/ingest/flush-lock.ts takes PostgreSQL advisory locks).
 */
export type FlushLock = <T>(tenantIds: readonly string[], fn: () => Promise<T>) => Promise<T>;

/**
 * Runs inside a flush, under its lock, once the first deliveries are known and before anything
 * is inserted (the usage-limit counters: api/ingest/limit-counters-hook.ts). It gets the first
 * deliveries and every row of the batch; what it returns undoes it, and is called when the
 * inserts then fail. If it throws, the flush fails and nothing is inserted.
 */
export type BeforeInsert = (fresh: readonly PendingRow[], rows: readonly PendingRow[]) => Promise<() => Promise<void>>;

/**
 * The index key of an event, in SQL over columns t (tenant), s (source) and i (id): the first
 * 128 bits of SHA-256 over the identity with the byte lengths of tenant and source in front,
 * so no two identities share an input. The same expression as usage_first_deliveries' own
 * DEFAULT (migration 0003), which computes it when entries are inserted. A cryptographic
 * digest, so nobody can make two of their own ids collide on purpose; at 128 bits an
 * accidental collision is negligible at any volume.
 */
export const DEDUP_KEY_SQL =
  "reinterpretAsUInt128(substring(SHA256(concat(toString(length(t)), ':', t, toString(length(s)), ':', s, i)), 1, 16))";

/** A string literal holding any text (JSON lines here): backslashes and quotes escaped. */
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** SQL reading JSONCompactEachRow lines given inline, with their column structure. */
const inline = (structure: string, lines: readonly string[]) =>
  `format(JSONCompactEachRow, ${literal(structure)}, ${literal(lines.join('\n'))})`;

type Winner = { eventType: string; eventTime: string; ingestedAt: string };

type ChdbRawInsert = (params: {
  table: string;
  values: Buffer;
  format: 'JSONCompactEachRow';
  columns: readonly string[];
}) => Promise<unknown>;

/** Within one process, flushes of the same tenant queue behind each other. */
export function createProcessFlushLock(): FlushLock {
  const tails = new Map<string, Promise<unknown>>();
  return async (tenantIds, fn) => {
    const ids = [...new Set(tenantIds)];
    const before = ids.map((t) => tails.get(t) ?? Promise.resolve());
    const run = Promise.allSettled(before).then(fn);
    const tail = run.catch(() => undefined);
    for (const t of ids) tails.set(t, tail);
    try {
      return await run;
    } finally {
      for (const t of ids) if (tails.get(t) === tail) tails.delete(t);
    }
  };
}

const LOOKUP_SETTINGS = { max_query_size: '67108864' } as const;

async function json<T>(
  client: ClickHouseClient,
  query: string,
  query_params: Record<string, unknown> = {},
  settings: ClickHouseSettings = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow', clickhouse_settings: { ...LOOKUP_SETTINGS, ...settings } });
  return rs.json<T>();
}

/** The index entries of these events, by their position in `rows` (only those that have one). */
async function lookUp(client: ClickHouseClient, rows: readonly UsageEventRow[]): Promise<Map<number, Winner>> {
  const found = new Map<number, Winner>();
  if (rows.length === 0) return found;
  const lines = rows.map((r, n) => JSON.stringify([n, r.tenantId, r.source, r.eventId]));
  const result = await json<{ n: number | string; et: string; ti: string; at: string }>(
    client,
    `SELECT n, joinGet('usage_first_deliveries', 'event_type', k) AS et,
            toString(joinGet('usage_first_deliveries', 'event_time', k)) AS ti, toString(joinGet('usage_first_deliveries', 'ingested_at', k)) AS at
     FROM (SELECT n, ${DEDUP_KEY_SQL} AS k FROM ${inline('n UInt32, t String, s String, i String', lines)}) WHERE et != ''`,
  );
  for (const r of result) found.set(Number(r.n), { eventType: r.et, eventTime: r.ti, ingestedAt: r.at });
  return found;
}

type Hit = { row: UsageEventRow; key: string; winner: Winner };

/** A row's identity as a map key (JSON, so no two identities share one). */
const identity = (r: UsageEventRow) => JSON.stringify([r.tenantId, r.source, r.eventId]);

/**
 * Which index hits are stored events. A hit is normally confirmed by a primary-key look-up at
 * the winner's type and time. If that finds nothing, the event is looked for anywhere in the
 * tenant's rows (a rare path: only an index entry left by a failed flush gets here); found, it
 * is the winner; not found, the entry is a leftover and this delivery is the first.
 */
async function confirmHits(client: ClickHouseClient, hits: readonly Hit[]): Promise<{ duplicates: Hit[]; leftovers: Hit[] }> {
  if (hits.length === 0) return { duplicates: [], leftovers: [] };
  const id = (tenantId: string, source: string, eventId: string) => JSON.stringify([tenantId, source, eventId]);
  const params = {
    t: hits.map((h) => h.row.tenantId),
    ty: hits.map((h) => h.winner.eventType),
    tm: hits.map((h) => h.winner.eventTime),
    s: hits.map((h) => h.row.source),
    i: hits.map((h) => h.row.eventId),
  };
  const exact = await json<{ tenant_id: string; source: string; event_id: string }>(
    client,
    `SELECT tenant_id, toString(source) AS source, event_id FROM usage_events
     WHERE tenant_id IN {t:Array(String)} AND (tenant_id, event_type, event_time, event_id, toString(source)) IN (SELECT arrayJoin(arrayZip({t:Array(String)}, {ty:Array(String)}, arrayMap(x -> toDateTime64(x, 3, 'UTC'), {tm:Array(String)}), {i:Array(String)}, {s:Array(String)})))`,
    params,
    WRITER_CONFIRM_SETTINGS,
  );
  const stored = new Set(exact.map((r) => id(r.tenant_id, r.source, r.event_id)));
  const unconfirmed = hits.filter((h) => !stored.has(id(h.row.tenantId, h.row.source, h.row.eventId)));
  const moved = new Map<string, Winner>();
  if (unconfirmed.length > 0) {
    const rows = await json<{
      tenant_id: string;
      source: string;
      event_id: string;
      event_type: string;
      event_time: string;
      ingested_at: string;
    }>(
      client,
      `SELECT tenant_id, toString(source) AS source, event_id, toString(event_type) AS event_type, toString(event_time) AS event_time, toString(ingested_at) AS ingested_at
       FROM usage_events WHERE tenant_id IN {t:Array(String)} AND (tenant_id, toString(source), event_id) IN (SELECT arrayJoin(arrayZip({t:Array(String)}, {s:Array(String)}, {i:Array(String)})))`,
      { t: unconfirmed.map((h) => h.row.tenantId), s: unconfirmed.map((h) => h.row.source), i: unconfirmed.map((h) => h.row.eventId) },
      WRITER_CONFIRM_SETTINGS,
    );
    for (const r of rows)
      moved.set(id(r.tenant_id, r.source, r.event_id), { eventType: r.event_type, eventTime: r.event_time, ingestedAt: r.ingested_at });
  }
  const duplicates: Hit[] = [];
  const leftovers: Hit[] = [];
  for (const h of hits) {
    const k = id(h.row.tenantId, h.row.source, h.row.eventId);
    if (stored.has(k)) duplicates.push(h);
    else if (moved.has(k)) duplicates.push({ ...h, winner: moved.get(k)! });
    else leftovers.push(h);
  }
  return { duplicates, leftovers };
}

const redeliveryLine = (r: UsageEventRow, w: Winner) =>
  JSON.stringify([
    r.tenantId,
    r.eventId,
    r.eventType,
    r.eventTime,
    r.subject,
    r.source,
    r.data,
    r.ingestedAt,
    w.eventType,
    w.eventTime,
    w.ingestedAt,
  ]);
const REDELIVERY_COLUMNS = [...USAGE_EVENT_COLUMNS, 'winner_event_type', 'winner_event_time', 'winner_ingested_at'] as const;

/** Inserts JSONCompactEachRow lines into a table; resolves once ClickHouse committed them. */
export type LineInserter = (table: string, columns: readonly string[], lines: readonly string[]) => Promise<void>;

/**
 * Inserts over a client, in JSONCompactEachRow (async_insert is off on the server path). On
 * the embedded engine through chdb's documented raw-insert escape hatch (`connection.chdb`),
 * which hands the Buffer to the engine without copying it into an SQL string (bench/ingest
 * measured it about twice as fast as the generic path).
 */
export function createLineInserter(client: ClickHouseClient): LineInserter {
  let rawInsert: ChdbRawInsert | undefined | null = null; // null: not looked up yet (done on first write)
  return async (table, columns, lines) => {
    if (lines.length === 0) return;
    if (rawInsert === null)
      rawInsert = (client as unknown as { connection?: { chdb?: { rawInsert?: ChdbRawInsert } } }).connection?.chdb?.rawInsert;
    const body = Buffer.from(lines.join('\n'));
    if (rawInsert) {
      await rawInsert({ table, values: body, format: 'JSONCompactEachRow', columns });
      return;
    }
    const result = await client.exec({
      query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`,
      values: Readable.from([body]),
    });
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve);
      result.stream.once('error', reject);
    });
  };
}

/** The deduplicating writer over a client (see the file comment). */
export function createUsageEventWriter(
  client: ClickHouseClient,
  options: { lock?: FlushLock; beforeInsert?: BeforeInsert } = {},
): UsageEventWriter {
  const lock = options.lock ?? createProcessFlushLock();
  const insertLine = createLineInserter(client);
  const insertLines: LineInserter = (table, columns, lines) => retryWhileQuorumBusy(() => insertLine(table, columns, lines));

  async function flush(rows: readonly PendingRow[]): Promise<WriteOutcome> {
    const firstInBatch = new Map<string, PendingRow>();
    const repeats: { row: UsageEventRow; key: string }[] = [];
    for (const p of rows) {
      const key = identity(p.row);
      if (firstInBatch.has(key)) repeats.push({ row: p.row, key });
      else firstInBatch.set(key, p);
    }
    const firsts = [...firstInBatch.values()];
    const indexed = await lookUp(
      client,
      firsts.map((p) => p.row),
    );
    const hits: Hit[] = [...indexed].map(([n, winner]) => ({ key: identity(firsts[n]!.row), winner, row: firsts[n]!.row }));
    const { duplicates } = await confirmHits(client, hits);
    const winners = new Map<string, Winner>(duplicates.map((d) => [d.key, d.winner]));
    const fresh = firsts.filter((p) => !winners.has(identity(p.row)));
    const entries = fresh.map((p) =>
      JSON.stringify([p.row.tenantId, p.row.source, p.row.eventId, p.row.eventType, p.row.eventTime, p.row.ingestedAt]),
    );
    const undo = options.beforeInsert ? await options.beforeInsert(fresh, rows) : null;
    try {
      await insertLines('usage_first_deliveries', ['tenant_id', 'source', 'event_id', 'event_type', 'event_time', 'ingested_at'], entries);
      await insertLines(
        'usage_events',
        USAGE_EVENT_COLUMNS,
        fresh.map((p) => p.line),
      );
    } catch (err) {
      if (undo) await undo().catch(() => undefined);
      throw err;
    }
    for (const p of fresh)
      winners.set(identity(p.row), { eventType: p.row.eventType, eventTime: p.row.eventTime, ingestedAt: p.row.ingestedAt });
    const redeliveries = [...duplicates.map((d) => ({ row: d.row, key: d.key })), ...repeats].map((r) =>
      redeliveryLine(r.row, winners.get(r.key)!),
    );
    await insertLines('usage_redeliveries', REDELIVERY_COLUMNS, redeliveries);
    return { stored: fresh.length, redelivered: redeliveries.length };
  }

  return async (rows) => {
    if (rows.length === 0) return { stored: 0, redelivered: 0 };
    return lock([...new Set(rows.map((r) => r.row.tenantId))], () => flush(rows));
  };
}
