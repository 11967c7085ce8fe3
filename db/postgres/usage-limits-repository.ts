import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { LIMIT_MODES, LIMIT_WINDOWS, type LimitMode, type LimitOwner, type LimitWindow } from '../../domain/limits/index.ts';
import { meterRow, toMeterRecord, type MeterRecord } from './meters-repository.ts';
import type { Tx } from './tenant-scope.ts';
import { ts } from './sql.ts';

// Usage limits, their per-window counters and the reservations of authorizations (migration
// 0031, RLS). Why the counters are exact: db/README.md, *Usage limits*.

export const limitRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  meter: z.string(),
  window_kind: z.enum(LIMIT_WINDOWS),
  limit_value: z.string(),
  mode: z.enum(LIMIT_MODES),
  created_by_role: z.enum(['admin', 'customer']),
  created_by: z.string().nullable(),
  created_at: z.date(),
});
export type LimitRow = z.infer<typeof limitRow>;

const limitColumns = sql.fragment`id, tenant_id, meter, window_kind, limit_value::text AS limit_value, mode, created_by_role, created_by, created_at`;

export const counterRow = z.object({
  limit_id: z.string(),
  tenant_id: z.string(),
  window_start: z.date(),
  window_end: z.date(),
  used: z.string(),
  reserved: z.string(),
});
export type CounterRow = z.infer<typeof counterRow>;
const counterColumns = sql.fragment`limit_id, tenant_id, window_start, window_end, used::text AS used, reserved::text AS reserved`;

export type NewLimit = {
  tenantId: string;
  meter: string;
  window: LimitWindow;
  limit: string;
  mode: LimitMode;
  owner: LimitOwner;
  createdBy: string | null;
};

/** The first answer an authorization got (what a repeated idempotency key answers). */
export const answerRow = z.object({
  id: z.string(),
  meter: z.string(),
  quantity: z.string(),
  state: z.enum(['open', 'settled', 'expired', 'refused']),
  authorized: z.boolean(),
  over_limit: z.boolean(),
  remaining: z.string().nullable(),
  limit_value: z.string().nullable(),
  expires_at: z.date(),
});
export type AnswerRow = z.infer<typeof answerRow>;
const answerColumns = sql.fragment`id, meter, quantity::text AS quantity, state, authorized, over_limit, remaining::text AS remaining, limit_value::text AS limit_value, expires_at`;

const crossedRow = z.object({
  limit_id: z.string(),
  window_start: z.date(),
  window_end: z.date(),
  limit_value: z.string(),
  total: z.string(),
});
export type CrossedSoftLimit = z.infer<typeof crossedRow>;

const authorizeRow = z.object({
  prior: z.boolean(),
  limits: z.number(),
  counters: z.number(),
  needs_credit: z.boolean(),
  answer: answerRow.extend({ expires_at: z.string() }).nullable(),
  crossed: z.array(crossedRow.extend({ window_start: z.string(), window_end: z.string() })),
});
export type AuthorizeOutcome = {
  /** The idempotency key was used before: `answer` is null, read the first one. */
  prior: boolean;
  /** Limits on the (tenant, meter), and how many of them have a counter for the current window. */
  limits: number;
  counters: number;
  /** A credit limit applies and no `creditCap` was given: nothing was decided (price the quantity and call again). */
  needsCredit: boolean;
  /** Null when a counter is missing (create them and try again), no limit applies, or `prior`. */
  answer: AnswerRow | null;
  /** Soft limits this authorization took past their limit (one alert each per window). */
  crossed: CrossedSoftLimit[];
};

export type AuthorizeInput = {
  tenantId: string;
  meter: string;
  quantity: string;
  ttlSeconds: number;
  idempotencyKey: string;
  /**
   * The most a credit limit's counter may hold reserved, this quantity included, for the credit
   * to cover it (credit mode); null when not priced yet. Found by pricing under the lock of
   * lockForCredit, so no other authorization can change what it was priced on.
   */
  creditCap: string | null;
};

/** A fresh event's value for one limit, at its time (the ingest hook's bump). */
export type LimitDelta = { limitId: string; at: Date; value: string };
export type Settlement = { tenantId: string; reservationId: string };

const limitWithMeterRow = meterRow.extend({ limit_id: z.string(), tenant_id: z.string() });
export type LimitedMeter = { limitId: string; tenantId: string; meter: MeterRecord };

function outcomeOf(row: z.infer<typeof authorizeRow>): AuthorizeOutcome {
  const answer = row.answer ? answerRow.parse({ ...row.answer, expires_at: new Date(row.answer.expires_at as unknown as string) }) : null;
  return {
    prior: row.prior,
    limits: row.limits,
    counters: row.counters,
    needsCredit: row.needs_credit,
    answer,
    crossed: row.crossed.map((c) => ({ ...c, window_start: new Date(c.window_start), window_end: new Date(c.window_end) })),
  };
}

export const usageLimitsRepository = {
  insert: (tx: Tx, l: NewLimit) =>
    tx.one(sql.type(limitRow)`
      INSERT INTO usage_limits (tenant_id, meter, window_kind, limit_value, mode, created_by_role, created_by)
      VALUES (${l.tenantId}, ${l.meter}, ${l.window}, ${l.limit}::numeric, ${l.mode}, ${l.owner}, ${l.createdBy})
      RETURNING ${limitColumns}`),

  list: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(limitRow)`SELECT ${limitColumns} FROM usage_limits WHERE tenant_id = ${tenantId} ORDER BY created_at, id`),

  findById: (tx: Tx, tenantId: string, id: string) =>
    tx.maybeOne(sql.type(limitRow)`SELECT ${limitColumns} FROM usage_limits WHERE tenant_id = ${tenantId} AND id = ${id}`),

  /** Deletes the limit (its counters go with it). Open reservations keep their figures on the remaining limits' counters. */
  delete: (tx: Tx, tenantId: string, id: string) =>
    tx.query(sql.unsafe`DELETE FROM usage_limits WHERE tenant_id = ${tenantId} AND id = ${id}`),

  /** The limits of these tenants with their meters, in one query (the ingest hook; operator scope). */
  limitsWithMeters: async (db: CommonQueryMethods, tenantIds: readonly string[]) =>
    (
      await db.any(sql.type(limitWithMeterRow)`
        SELECT l.id AS limit_id, l.tenant_id, m.code, m.name, m.description, m.event_type, m.aggregation, m.value_property,
               m.filters, m.group_by, m.allow_negative, m.created_at
        FROM usage_limits l JOIN meters m ON m.code = l.meter
        WHERE l.tenant_id = ANY(${sql.array([...tenantIds], 'uuid')})`)
    ).map((r): LimitedMeter => ({ limitId: r.limit_id, tenantId: r.tenant_id, meter: toMeterRecord(r) })),

  /** The counter of a limit's window that holds `at`, if it exists. */
  counterAt: (tx: Tx, limitId: string, at: Date) =>
    tx.maybeOne(sql.type(counterRow)`
      SELECT ${counterColumns} FROM usage_limit_counters
      WHERE limit_id = ${limitId} AND window_start <= ${ts(at)} AND window_end > ${ts(at)}
      ORDER BY window_start DESC LIMIT 1`),

  /** Creates a window's counter with the usage counted so far; a counter created meanwhile wins (nothing happens). */
  createCounter: (tx: Tx, c: { limitId: string; tenantId: string; start: Date; end: Date; used: string }) =>
    tx.query(sql.unsafe`
      INSERT INTO usage_limit_counters (limit_id, tenant_id, window_start, window_end, used)
      VALUES (${c.limitId}, ${c.tenantId}, ${ts(c.start)}, ${ts(c.end)}, ${c.used}::numeric)
      ON CONFLICT (limit_id, window_start) DO NOTHING`),

  /**
   * Locks, in key order (as authorize and the ingest bump lock them), the current-window counters
   * of the tenant's credit limits and of every limit on `meter`, and answers the credit counters'
   * reserved quantity per meter (the most of a meter's counters: its reservations count on each).
   * Held until the transaction ends, so the credit is priced on figures no one else can move.
   */
  lockForCredit: async (tx: Tx, tenantId: string, meter: string) => {
    const rows = await tx.any(sql.type(z.object({ meter: z.string(), reserved: z.string() }))`
      WITH locked AS MATERIALIZED (
        SELECT l.meter, l.mode, c.reserved
        FROM usage_limit_counters c JOIN usage_limits l ON l.id = c.limit_id
        WHERE l.tenant_id = ${tenantId} AND (l.mode = 'credit' OR l.meter = ${meter})
          AND c.window_start <= now() AND c.window_end > now()
        ORDER BY c.limit_id, c.window_start
        FOR UPDATE OF c
      )
      SELECT meter, max(reserved)::text AS reserved FROM locked WHERE mode = 'credit' GROUP BY meter`);
    return new Map(rows.map((r) => [r.meter, r.reserved]));
  },

  /** A tenant's earlier answer to an idempotency key. */
  answerOf: (tx: Tx, tenantId: string, idempotencyKey: string) =>
    tx.maybeOne(sql.type(answerRow)`
      SELECT ${answerColumns} FROM usage_reservations WHERE tenant_id = ${tenantId} AND idempotency_key = ${idempotencyKey}`),

  /**
   * The authorization, in one call of mp_authorize_usage (migration 0037), which is one round
   * trip and, on the pool, one implicit transaction, so the counters are locked only while
   * PostgreSQL runs it:
   *   1. lock the current-window counters of every limit on (tenant, meter), in key order (a
   *      locked row is read at its latest committed version, so the figures below are the ones
   *      the update writes over: no two authorizations decide on the same figures);
   *   2. expire this meter's open reservations that are past their time and name only those
   *      counters, and take their quantity out of `reserved`;
   *   3. decide: every hard and credit limit must keep used + reserved + quantity ≤ limit, and a
   *      credit limit's reservations must stay within what the credit buys (`creditCap`);
   *   4. record the answer (a refusal too) under the idempotency key; a concurrent twin of the
   *      key waits for this row and then inserts nothing, and so reserves nothing;
   *   5. add the quantity to `reserved` of each counter when authorized.
   * Nothing is decided when a limit has no counter for the current window (the caller creates
   * it under the flush lock and calls again), when a credit limit applies and no cap was given,
   * or when the key was used before. The function sets the tenant's scope itself.
   */
  authorize: async (db: CommonQueryMethods, a: AuthorizeInput): Promise<AuthorizeOutcome> => {
    const row = await db.one(sql.type(authorizeRow)`
      SELECT prior, limits, counters, needs_credit, answer, crossed
      FROM mp_authorize_usage(${a.tenantId}, ${a.meter}, ${a.quantity}::numeric, ${a.ttlSeconds}, ${a.idempotencyKey}, ${a.creditCap}::numeric)`);
    return outcomeOf(row);
  },

  /**
   * Authorizations of one (tenant, meter), decided in turn in one call of
   * mp_authorize_usage_batch (migration 0038): one round trip and one commit for all, each
   * answer the one it would get alone in that order. No credit cap: a credit limit answers
   * `needsCredit` for each, as authorize does.
   */
  authorizeBatch: async (db: CommonQueryMethods, tenantId: string, meter: string, batch: readonly AuthorizeInput[]) => {
    const rows = await db.any(sql.type(authorizeRow.extend({ ord: z.number() }))`
      SELECT ord, prior, limits, counters, needs_credit, answer, crossed
      FROM mp_authorize_usage_batch(${tenantId}, ${meter}, ${sql.array(
        batch.map((b) => b.quantity),
        'numeric',
      )}, ${sql.array(
        batch.map((b) => b.ttlSeconds),
        'int4',
      )}, ${sql.array(
        batch.map((b) => b.idempotencyKey),
        'text',
      )}) ORDER BY ord`);
    return rows.map(outcomeOf);
  },

  /**
   * An ingest flush's bump, in one statement (operator scope): adds each delta to the existing
   * counter whose window holds its time, and settles the named open reservations (of the event's
   * own tenant), taking their quantity out of `reserved`. Counters are locked in key order first,
   * as authorize locks them, so the two never wait on each other in a cycle.
   */
  bump: async (db: CommonQueryMethods, deltas: readonly LimitDelta[], settlements: readonly Settlement[]) => {
    if (deltas.length === 0 && settlements.length === 0) return;
    await db.query(sql.unsafe`
      WITH d AS (
        SELECT * FROM unnest(${sql.array(
          deltas.map((x) => x.limitId),
          'uuid',
        )}, ${sql.array(
          deltas.map((x) => x.at.toISOString()),
          'timestamptz',
        )}, ${sql.array(
          deltas.map((x) => x.value),
          'numeric',
        )}) AS u(limit_id, t, v)
      ), s AS (
        SELECT c.limit_id, c.window_start, sum(d.v) AS v
        FROM usage_limit_counters c JOIN d ON d.limit_id = c.limit_id AND d.t >= c.window_start AND d.t < c.window_end
        GROUP BY 1, 2
      ), named AS (
        SELECT r.id, r.limit_ids, r.window_starts
        FROM usage_reservations r
        JOIN unnest(${sql.array(
          settlements.map((x) => x.tenantId),
          'uuid',
        )}, ${sql.array(
          settlements.map((x) => x.reservationId),
          'uuid',
        )}) AS n(tenant_id, id)
          ON r.id = n.id AND r.tenant_id = n.tenant_id
        WHERE r.state = 'open'
      ), keys AS (
        SELECT limit_id, window_start FROM s
        UNION SELECT p.l, p.w FROM named, unnest(named.limit_ids, named.window_starts) p(l, w)
      ), locked AS (
        SELECT c.limit_id, c.window_start FROM usage_limit_counters c JOIN keys USING (limit_id, window_start)
        ORDER BY 1, 2 FOR UPDATE OF c
      ), settled AS (
        UPDATE usage_reservations r SET state = 'settled', settled_at = now()
        FROM named WHERE r.id = named.id AND r.state = 'open' AND (SELECT count(*) FROM locked) >= 0
        RETURNING r.limit_ids, r.window_starts, r.quantity
      ), deltas AS (
        SELECT limit_id, window_start, sum(du) AS du, sum(dr) AS dr FROM (
          SELECT limit_id, window_start, v AS du, 0::numeric AS dr FROM s
          UNION ALL SELECT p.l, p.w, 0::numeric, x.quantity FROM settled x, unnest(x.limit_ids, x.window_starts) p(l, w)
        ) a GROUP BY 1, 2
      )
      UPDATE usage_limit_counters c SET used = c.used + deltas.du, reserved = c.reserved - deltas.dr
      FROM deltas WHERE c.limit_id = deltas.limit_id AND c.window_start = deltas.window_start`);
  },

  /** Takes deltas back out (a flush whose inserts failed after its bump; best effort, reconciliation does the rest). */
  unbump: async (db: CommonQueryMethods, deltas: readonly LimitDelta[]) => {
    if (deltas.length === 0) return;
    await usageLimitsRepository.bump(
      db,
      deltas.map((x) => ({ ...x, value: x.value.startsWith('-') ? x.value.slice(1) : `-${x.value}` })),
      [],
    );
  },

  /** Expires every open reservation of a tenant past its time, counters first (as authorize locks them). */
  releaseExpired: (tx: Tx, tenantId: string) =>
    tx.query(sql.unsafe`
      WITH due AS (
        SELECT id, limit_ids, window_starts FROM usage_reservations
        WHERE tenant_id = ${tenantId} AND state = 'open' AND expires_at <= now()
      ), locked AS (
        SELECT c.limit_id FROM usage_limit_counters c
        JOIN (SELECT DISTINCT p.l, p.w FROM due, unnest(due.limit_ids, due.window_starts) p(l, w)) k
          ON c.limit_id = k.l AND c.window_start = k.w
        ORDER BY c.limit_id, c.window_start FOR UPDATE OF c
      ), expired AS (
        UPDATE usage_reservations r SET state = 'expired' FROM due
        WHERE r.id = due.id AND r.state = 'open' AND (SELECT count(*) FROM locked) >= 0
        RETURNING r.limit_ids, r.window_starts, r.quantity
      ), released AS (
        SELECT p.l AS limit_id, p.w AS window_start, sum(e.quantity) AS q
        FROM expired e, unnest(e.limit_ids, e.window_starts) p(l, w) GROUP BY 1, 2
      )
      UPDATE usage_limit_counters c SET reserved = c.reserved - released.q
      FROM released WHERE c.limit_id = released.limit_id AND c.window_start = released.window_start`),

  /** Sets a counter's usage to what ClickHouse counts (reconciliation, under the tenant's flush lock). */
  setUsed: (tx: Tx, limitId: string, windowStart: Date, used: string) =>
    tx.query(sql.unsafe`
      UPDATE usage_limit_counters SET used = ${used}::numeric, reconciled_at = now()
      WHERE limit_id = ${limitId} AND window_start = ${ts(windowStart)}`),

  /** Counters whose window is open at `at` or ended after `since`, least recently reconciled first (operator scope). */
  countersToReconcile: (db: CommonQueryMethods, since: Date, limit: number) =>
    db.any(sql.type(counterRow)`
      SELECT ${counterColumns} FROM usage_limit_counters WHERE window_end > ${ts(since)}
      ORDER BY reconciled_at, limit_id, window_start LIMIT ${limit}`),

  /** The current-window counters of these tenants' limits on meters of these event types whose usage is past the limit. */
  exceeded: (db: CommonQueryMethods, tenantIds: readonly string[], eventTypes: readonly string[]) =>
    db.any(sql.type(
      z.object({
        tenant_id: z.string(),
        meter: z.string(),
        mode: z.enum(LIMIT_MODES),
        limit_value: z.string(),
        used: z.string(),
        window_start: z.date(),
        window_end: z.date(),
      }),
    )`
      SELECT l.tenant_id, l.meter, l.mode, l.limit_value::text AS limit_value, c.used::text AS used, c.window_start, c.window_end
      FROM usage_limits l JOIN meters m ON m.code = l.meter
      JOIN usage_limit_counters c ON c.limit_id = l.id AND c.window_start <= now() AND c.window_end > now()
      WHERE l.tenant_id = ANY(${sql.array([...tenantIds], 'uuid')}) AND m.event_type = ANY(${sql.array([...eventTypes], 'text')})
        AND c.used > l.limit_value
      ORDER BY l.tenant_id, l.meter, l.id`),
};
