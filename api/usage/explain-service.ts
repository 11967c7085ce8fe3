import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { usageExplainRepository } from '../../db/postgres/usage-explain-repository.ts';
import { lateUsageHorizonsRepository } from '../../db/postgres/late-usage-horizons-repository.ts';
import { readEventDeliveries } from '../../db/clickhouse/event-deliveries.ts';
import {
  explainEvent,
  type EventExplanation,
  type ExplainReason,
  type ExplainSubscription,
  type StoredDelivery,
} from '../../domain/billing/explain-event.ts';
import { DEFAULT_LATE_USAGE_DAYS, MAX_LATE_USAGE_DAYS } from '../../domain/pricing/index.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { notFound } from '../http/problem.ts';
import type { ExplainResponse } from './explain-schemas.ts';

/** A microsecond stamp as RFC 3339 with six fractional digits. */
export function microInstant(us: bigint): string {
  const ms = us / 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(us % 1000n).padStart(3, '0')}Z`);
}

const iso = (ms: number) => new Date(ms).toISOString();
const window = (w: { startMs: number; endMs: number } | null) => (w ? { start: iso(w.startMs), end: iso(w.endMs) } : null);

function encode(e: EventExplanation): ExplainResponse['events'][number] {
  const stamped = (d: StoredDelivery) => ({
    time: iso(d.timeMs),
    source: d.source,
    acceptedAt: microInstant(d.acceptedAtUs),
    type: d.type,
  });
  return {
    source: e.source,
    id: e.id,
    reason: e.reason,
    winner: stamped(e.winner),
    deliveries: e.deliveries.map((d) => ({
      won: d.won,
      reason: d.reason,
      duplicateOf: d.duplicateOf && {
        source: d.duplicateOf.source,
        id: d.duplicateOf.id,
        acceptedAt: microInstant(d.duplicateOf.acceptedAtUs),
      },
      ...stamped(d),
      subject: d.subject,
      data: d.data,
    })),
    meters: e.meters.map((m) => ({
      meter: m.meter,
      aggregation: m.aggregation,
      counts: m.counts,
      value: m.value,
      status: m.status,
      reason: m.reason,
      detail: m.detail,
      subscriptions: m.subscriptions.map((s) => {
        const line = 'line' in s ? s.line : null;
        return {
          subscriptionId: s.subscriptionId,
          status: s.status,
          reason: s.status === 'not_billed' ? s.reason : null,
          detail: 'detail' in s ? s.detail : null,
          period: window(s.period),
          invoice: line && { id: line.invoiceId, number: line.invoiceNumber, status: line.invoiceStatus, reason: line.invoiceReason },
          line: line && {
            id: line.lineId,
            position: line.position,
            type: line.type,
            from: iso(line.fromMs),
            to: iso(line.toMs),
            ratedAt: iso(line.ratedAtMs),
          },
        };
      }),
    })),
  };
}

function reasonsOf(events: readonly EventExplanation[]): ExplainReason[] {
  const found = new Set<ExplainReason>();
  for (const e of events) {
    if (e.reason) found.add(e.reason);
    if (e.deliveries.some((d) => d.reason)) found.add('duplicate_of');
    for (const m of e.meters) if (m.reason) found.add(m.reason);
  }
  return [...found];
}

/**
 * "Why wasn't this event billed?": reads the event's deliveries (ClickHouse) and the tenant's
 * billing facts (PostgreSQL, in the tenant's scope), and lets domain/billing's explainEvent judge.
 */
export function createUsageExplainService(deps: {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  metering: MeteringRuntime;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async explain(q: { tenantId: string; id: string; source?: string | undefined }): Promise<ExplainResponse> {
      const stored = await readEventDeliveries(deps.clickhouse, { tenantId: q.tenantId, id: q.id });
      // A named source selects its event, and any event a delivery from that source was recorded against.
      const selected =
        q.source === undefined
          ? stored
          : stored.filter((s) => s.event.source === q.source || s.redeliveries.some((r) => r.source === q.source));
      if (selected.length === 0) throw notFound('event');
      const meters = await deps.metering.meters.all();
      const codes = meters.filter((m) => selected.some((s) => s.event.type === m.eventType)).map((m) => m.code);
      const facts = await withTenant(deps.pg, q.tenantId, async (tx) => ({
        subscriptions: await usageExplainRepository.subscriptions(tx, q.tenantId),
        billers: await lateUsageHorizonsRepository.billers(tx, q.tenantId, now(), {
          defaultDays: DEFAULT_LATE_USAGE_DAYS,
          maxDays: MAX_LATE_USAGE_DAYS,
        }),
        lines: await usageExplainRepository.lines(
          tx,
          q.tenantId,
          codes,
          selected.map((s) => new Date(s.event.timeMs)),
        ),
      }));
      const horizon = new Map(facts.billers.map((b) => [b.subscriptionId, b.horizonFrom]));
      const subscriptions: ExplainSubscription[] = facts.subscriptions.map((s) => ({
        id: s.id,
        status: s.status,
        startMs: s.start_at.getTime(),
        trialEndMs: s.trial_end?.getTime() ?? null,
        canceledAtMs: s.canceled_at?.getTime() ?? null,
        meters: s.meters,
        horizonFromMs: horizon.get(s.id) ?? s.start_at.getTime(),
        currentPeriod:
          s.current_period_start && s.current_period_end
            ? { startMs: s.current_period_start.getTime(), endMs: s.current_period_end.getTime() }
            : null,
      }));
      const explained = selected.map((s) =>
        explainEvent({ event: s.event, redeliveries: s.redeliveries, meters, subscriptions, lines: facts.lines }),
      );
      return { tenantId: q.tenantId, id: q.id, reasons: reasonsOf(explained), events: explained.map(encode) };
    },
  };
}
