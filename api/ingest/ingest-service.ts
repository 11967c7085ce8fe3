import { meteredValueErrors, validateEvent, type EventFieldError, type Meter, type UsageEvent } from '../../domain/metering/index.ts';
import { pendingRow } from '../../db/clickhouse/usage-writer.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import type { Principal } from '../http/route.ts';
import { HttpProblem, forbidden } from '../http/problem.ts';
import { IngestUnavailableError } from './batcher.ts';
import type { MeteringRuntime } from './metering-runtime.ts';
import type { IngestBody } from './ingest-body.ts';
import type { UsageTickCounter } from '../realtime/usage-ticks.ts';
import { beyondLateUsageHorizon, canceledBillersOf } from '../../domain/billing/index.ts';
import type { LateUsageHorizons } from './late-usage-horizons.ts';
import type { LateUsageNotifier } from './late-usage-notifier.ts';

/** `index`: the event a warning is about (per-event warnings such as late_beyond_horizon). */
export type IngestWarning = { type: string; message: string; index?: number };
export type IngestResult = { accepted: number; warnings: IngestWarning[] };

/** At most this many field errors are listed; `detail` gives the total. */
const MAX_LISTED_ERRORS = 100;
/** At most this many late_beyond_horizon warnings are listed; one more gives the total. */
const MAX_LISTED_LATE = 100;
export const LATE_BEYOND_HORIZON = 'late_beyond_horizon';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The reservation an event settles (api/limits): `reservationId` at the top level of a plain
 * event, the extension attribute `reservationid` of a CloudEvent (CloudEvents names are lower
 * case). Not stored with the event; the flush settles it.
 */
function reservationOf(raw: unknown, index: number, shape: 'cloudevent' | 'plain', errors: EventFieldError[]): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const name = shape === 'plain' && 'reservationId' in raw ? 'reservationId' : 'reservationid';
  const value = (raw as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !UUID.test(value)) {
    errors.push({ index, field: `events[${index}].${name}`, message: 'must be the reservationId of an authorization (a uuid)' });
    return undefined;
  }
  return value.toLowerCase();
}

/**
 * Acceptance order for deduplication: a per-process clock in microseconds that never
 * repeats and never goes back, so two deliveries of one id (even in one request) are
 * always ordered and "first" is well defined.
 */
function createIngestClock(now: () => number) {
  let lastUs = 0;
  return () => {
    lastUs = Math.max(lastUs + 1, now() * 1000);
    return clickhouseMicroTime(lastUs);
  };
}

/**
 * Validates a whole request, binds each event to its tenant, and hands the rows to the
 * batcher: decode → validate → authorise → write. Atomic per request: any invalid event
 * refuses the request (400, every problem listed) and nothing of it is written.
 */
export function createIngestService(
  runtime: MeteringRuntime,
  opts: {
    ticks?: UsageTickCounter | undefined;
    now?: () => number;
    horizons?: LateUsageHorizons;
    notifyLateUsage?: LateUsageNotifier;
  } = {},
) {
  const now = opts.now ?? Date.now;
  const stamp = createIngestClock(now);

  /**
   * After the write: a warning per event no subscription will ever bill because its window ended
   * beyond every horizon, and a nudge to canceled subscriptions that can still bill some. Advisory:
   * a failed look-up leaves the warnings out and never fails the accepted request.
   */
  async function lateUsage(events: readonly UsageEvent[], tenants: readonly string[]): Promise<IngestWarning[]> {
    if (!opts.horizons) return [];
    const byTenant = new Map<string, Awaited<ReturnType<LateUsageHorizons['billersOf']>>>();
    try {
      for (const tenantId of new Set(tenants)) byTenant.set(tenantId, await opts.horizons.billersOf(tenantId));
    } catch {
      return [];
    }
    const late: number[] = [];
    const nudge = new Set<string>();
    events.forEach((e, i) => {
      const billers = byTenant.get(tenants[i]!)!;
      if (billers.length === 0) return;
      if (beyondLateUsageHorizon(billers, e.type, e.timeMs)) late.push(i);
      for (const id of canceledBillersOf(billers, e.type, e.timeMs)) nudge.add(id);
    });
    if (nudge.size > 0) opts.notifyLateUsage?.([...nudge]);
    const warnings: IngestWarning[] = late.slice(0, MAX_LISTED_LATE).map((i) => ({
      type: LATE_BEYOND_HORIZON,
      index: i,
      message: `events[${i}] (${new Date(events[i]!.timeMs).toISOString()}) falls in a billing period that ended more than its plan's lateUsageDays ago for every subscription that could bill it: it is stored but will not be billed`,
    }));
    if (late.length > MAX_LISTED_LATE)
      warnings.push({
        type: LATE_BEYOND_HORIZON,
        message: `${late.length - MAX_LISTED_LATE} more events of this request are beyond the late-usage horizon`,
      });
    return warnings;
  }

  async function tenantOf(
    principal: Principal,
    events: readonly (UsageEvent | undefined)[],
    errors: EventFieldError[],
  ): Promise<(string | undefined)[]> {
    if (principal.kind === 'apiKey') {
      // A key writes only its own tenant; a subject, when given, must name that tenant.
      const own = await runtime.tenants.byId(principal.tenantId);
      events.forEach((e, i) => {
        if (e?.subject !== undefined && e.subject !== principal.tenantId && e.subject !== own?.externalId) {
          throw forbidden(`events[${i}].subject names another tenant; an API key writes only its own tenant's usage`);
        }
      });
      return events.map(() => principal.tenantId);
    }
    const subjects = [...new Set(events.map((e) => e?.subject).filter((s): s is string => s !== undefined))];
    const resolved = new Map(await Promise.all(subjects.map(async (s) => [s, await runtime.tenants.bySubject(s)] as const)));
    return events.map((e, i) => {
      if (!e) return undefined;
      if (e.subject === undefined) {
        errors.push({ index: i, field: `events[${i}].subject`, message: "is required with a user session: the tenant's externalId or id" });
        return undefined;
      }
      const tenant = resolved.get(e.subject);
      if (!tenant) errors.push({ index: i, field: `events[${i}].subject`, message: 'does not name a tenant (externalId or id)' });
      return tenant?.id;
    });
  }

  /** 429 (over the tenant's fair share) or 503 (full, stopping, storage failed), with Retry-After. */
  function unavailable(err: IngestUnavailableError): HttpProblem {
    return new HttpProblem(err.reason === 'fair_share' ? 429 : 503, err.message, {
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    });
  }

  /**
   * `readBody` is called only once the queue could take the request: a request the queue
   * would refuse anyway (full, or the key's tenant over its share) is answered before its
   * body is read or parsed. Submitting decides again, on the request's real rows.
   */
  return async function ingest(principal: Principal, readBody: () => Promise<IngestBody>): Promise<IngestResult> {
    const { metrics } = runtime;
    const early = runtime.batcher.refusal(principal.kind === 'apiKey' ? principal.tenantId : undefined);
    if (early) {
      metrics.requestsRefusedUnread.inc({ reason: early.reason });
      throw unavailable(early);
    }
    const body = await readBody();
    const nowMs = now();
    const errors: EventFieldError[] = [];
    const events = body.events.map((raw, i) => {
      const result = validateEvent(raw, i, { nowMs, shape: body.shape });
      errors.push(...result.errors);
      return result.event;
    });
    const reservations = body.events.map((raw, i) => reservationOf(raw, i, body.shape, errors));
    let tenants: (string | undefined)[];
    try {
      tenants = await tenantOf(principal, events, errors);
    } catch (err) {
      metrics.eventsRejected.inc({ reason: 'forbidden' }, events.length);
      throw err;
    }

    const unmetered = new Set<string>();
    const metersOf = new Map<string, readonly Meter[]>();
    for (const type of new Set(events.map((e) => e?.type)))
      if (type !== undefined) metersOf.set(type, await runtime.meters.forEventType(type));
    for (const [i, e] of events.entries()) {
      if (!e) continue;
      const meters = metersOf.get(e.type)!;
      if (meters.length === 0) unmetered.add(e.type);
      else errors.push(...meteredValueErrors(e, i, meters));
    }
    if (errors.length) {
      metrics.eventsRejected.inc({ reason: 'invalid' }, events.length);
      errors.sort((a, b) => a.index - b.index);
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
      throw new HttpProblem(400, `${first.field}: ${first.message}${more}; nothing from this request was written`, {
        errors: errors.slice(0, MAX_LISTED_ERRORS),
      });
    }

    const rows = events.map((e, i) => ({
      tenantId: tenants[i]!,
      line: pendingRow(
        {
          tenantId: tenants[i]!,
          eventId: e!.id,
          eventType: e!.type,
          eventTime: clickhouseTime(e!.timeMs),
          subject: e!.subject ?? '',
          source: e!.source,
          data: JSON.stringify(e!.data),
          ingestedAt: stamp(),
        },
        reservations[i],
      ),
    }));
    try {
      await runtime.batcher.submit(rows);
    } catch (err) {
      if (err instanceof IngestUnavailableError) {
        metrics.eventsRejected.inc({ reason: err.reason }, rows.length);
        throw unavailable(err);
      }
      throw err;
    }
    metrics.eventsAccepted.inc(rows.length);
    if (opts.ticks) {
      const counts = new Map<string, number>();
      for (const [i, e] of events.entries()) counts.set(`${tenants[i]}\n${e!.type}`, (counts.get(`${tenants[i]}\n${e!.type}`) ?? 0) + 1);
      for (const [key, n] of counts) {
        const [tenantId, type] = key.split('\n') as [string, string];
        opts.ticks.record(tenantId, type, n);
      }
    }
    const warnings: IngestWarning[] = [...unmetered].map((type) => ({
      type,
      message: `no meter uses event type "${type}": the events are stored but count for nothing until a meter reads them`,
    }));
    warnings.push(...(await lateUsage(events as UsageEvent[], tenants as string[])));
    warnings.push(...(await runtime.limitWarnings([...new Set(tenants as string[])], [...new Set(events.map((e) => e!.type))])));
    return { accepted: rows.length, warnings };
  };
}
