import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withScope, withTenant, type Tx } from '../../db/postgres/tenant-scope.ts';
import {
  usageLimitsRepository,
  type AnswerRow,
  type AuthorizeInput,
  type CrossedSoftLimit,
  type LimitRow,
} from '../../db/postgres/usage-limits-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { raiseAlert } from '../../db/postgres/raise-alert.ts';
import { ADDITIVE_AGGREGATIONS, isAdditive, mayDelete, type LimitOwner } from '../../domain/limits/index.ts';
import { canonicalDecimal, type Meter } from '../../domain/metering/index.ts';
import { Decimal } from '../../domain/money/index.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import type { Principal } from '../http/route.ts';
import { HttpProblem, badRequest, forbidden, notFound } from '../http/problem.ts';
import type { MeterCatalog } from '../meters/meter-catalog.ts';
import type { FlushLock } from '../../db/clickhouse/usage-writer.ts';
import { createLimitCounters } from './limit-counters.ts';
import { createAuthorizeBatcher } from './authorize-batcher.ts';
import { createEstimateService } from '../subscriptions/estimate-service.ts';
import { creditPosition } from '../credits/credit-position.ts';
import type { AuthorizationJson, AuthorizeBody, LimitBody, LimitJson } from './limit-schemas.ts';

const ownerOf = (principal: Principal): LimitOwner => (principal.kind === 'user' && principal.role === 'admin' ? 'admin' : 'customer');

/** The alert of a soft limit crossed in its window (one per window: the alerts' dedup key). */
export async function raiseLimitExceeded(pg: DatabasePool, tenantId: string, meter: string, c: Omit<CrossedSoftLimit, 'limit_id'>) {
  await raiseAlert(pg, {
    tenantId,
    meter,
    kind: 'usage_limit_exceeded',
    severity: 'warning',
    windowStart: c.window_start,
    windowEnd: c.window_end,
    observed: canonicalDecimal(c.total),
    expected: canonicalDecimal(c.limit_value),
    message: `usage of ${meter} (${canonicalDecimal(c.total)} with open reservations) went past its soft limit of ${canonicalDecimal(c.limit_value)} in the window from ${c.window_start.toISOString()}`,
  });
}

function answerJson(a: AnswerRow, uncovered = false): AuthorizationJson {
  const remaining = a.remaining === null ? null : canonicalDecimal(a.remaining);
  const limit = a.limit_value === null ? null : canonicalDecimal(a.limit_value);
  if (!a.authorized)
    return {
      authorized: false,
      remaining,
      limit,
      reason: uncovered
        ? `the credit balance does not cover ${canonicalDecimal(a.quantity)} more of ${a.meter} with the open periods' usage and reservations, priced at the plan's prices`
        : `${canonicalDecimal(a.quantity)} more would take usage and open reservations past the limit of ${limit} (remaining ${remaining})`,
    };
  return {
    authorized: true,
    reservationId: a.id,
    remaining,
    limit,
    expiresAt: a.expires_at.toISOString(),
    ...(a.over_limit ? { overLimit: true as const } : {}),
  };
}

/**
 * Usage limits (set, list with the current window's figures, delete) and authorization against
 * them. The rules of the figures are the repository's (db/postgres/usage-limits-repository.ts);
 * this service decides who may do what, finds each limit's window and makes missing counters.
 */
export function createLimitsService(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; meters: MeterCatalog; lock?: FlushLock }) {
  const counters = createLimitCounters(deps);
  const estimates = createEstimateService(deps);
  const batched = createAuthorizeBatcher(deps.pg);

  /**
   * A credit limit's authorization, in one transaction: lock the counters the credit is priced on,
   * price the open periods with every credit reservation and this quantity used, and decide with
   * the cap that pricing allows (the quantity fits only while the tenant's credit covers it all).
   */
  async function authorizeOnCredit(tx: Tx, input: AuthorizeInput, meters: readonly Meter[], at: Date) {
    const reserved = await usageLimitsRepository.lockForCredit(tx, input.tenantId, input.meter);
    const more = new Map(reserved);
    const cap = new Decimal(reserved.get(input.meter) ?? '0').plus(input.quantity).toFixed();
    more.set(input.meter, cap);
    const tenant = await tenantsRepository.findById(tx, input.tenantId);
    if (!tenant) throw notFound('tenant');
    const { availableMinor } = await creditPosition(tx, estimates, {
      tenantId: input.tenantId,
      meters,
      currency: tenant.currency,
      at,
      more,
    });
    const covered = availableMinor >= 0n;
    return { outcome: await usageLimitsRepository.authorize(tx, { ...input, creditCap: covered ? cap : '-1' }), covered };
  }

  async function meterOf(code: string, field: string): Promise<Meter> {
    const meter = (await deps.meters.all()).find((m) => m.code === code);
    if (!meter) throw badRequest(field, `no meter has the code ${code}`);
    return meter;
  }

  /** Creates the counters the limits lack for the window holding `at`. */
  async function ensureCounters(tenantId: string, limits: readonly LimitRow[], at: Date) {
    const windows = await counters.windowsOf(tenantId, limits, at);
    const missing = await withTenant(deps.pg, tenantId, async (tx) => {
      const out = [];
      for (const l of limits) if (!(await usageLimitsRepository.counterAt(tx, l.id, at))) out.push(l);
      return out;
    });
    const all = await deps.meters.all();
    await counters.ensure(
      tenantId,
      missing.flatMap((limit) => {
        const meter = all.find((m) => m.code === limit.meter);
        return meter ? [{ limit, meter, span: windows.get(limit.id)! }] : [];
      }),
    );
  }

  async function tenantExists(tx: Tx, tenantId: string) {
    if (!(await tenantsRepository.findById(tx, tenantId))) throw notFound('tenant');
  }

  async function figures(tenantId: string, limits: readonly LimitRow[], at: Date): Promise<LimitJson[]> {
    await ensureCounters(tenantId, limits, at);
    return withTenant(deps.pg, tenantId, async (tx) => {
      await usageLimitsRepository.releaseExpired(tx, tenantId);
      const out: LimitJson[] = [];
      for (const l of limits) {
        const c = await usageLimitsRepository.counterAt(tx, l.id, at);
        if (!c) continue; // deleted meanwhile
        const limit = new Decimal(l.limit_value);
        out.push({
          id: l.id,
          tenantId: l.tenant_id,
          meter: l.meter,
          window: l.window_kind,
          limit: canonicalDecimal(l.limit_value),
          mode: l.mode,
          createdBy: l.created_by_role,
          createdAt: l.created_at.toISOString(),
          windowStart: c.window_start.toISOString(),
          windowEnd: c.window_end.toISOString(),
          used: canonicalDecimal(c.used),
          reserved: canonicalDecimal(c.reserved),
          remaining: canonicalDecimal(limit.minus(c.used).minus(c.reserved).toFixed()),
        });
      }
      return out;
    });
  }

  return {
    counters,

    async create(principal: Principal, requested: string, body: LimitBody, at = new Date()): Promise<LimitJson> {
      const tenantId = resolveTenant(principal, requested);
      const meter = await meterOf(body.meter, 'meter');
      if (!isAdditive(meter.aggregation))
        throw badRequest(
          'meter',
          `meter ${meter.code} aggregates by ${meter.aggregation}; a limit needs an additive meter (${ADDITIVE_AGGREGATIONS.join(', ')})`,
        );
      const row = await withScope(deps.pg, scopeOf(principal), async (tx) => {
        await tenantExists(tx, tenantId);
        return usageLimitsRepository.insert(tx, {
          tenantId,
          meter: meter.code,
          window: body.window,
          limit: body.limit,
          mode: body.mode,
          owner: ownerOf(principal),
          createdBy: principal.kind === 'user' ? principal.userId : null,
        });
      });
      return (await figures(tenantId, [row], at))[0]!;
    },

    async list(principal: Principal, requested: string, at = new Date()): Promise<LimitJson[]> {
      const tenantId = resolveTenant(principal, requested);
      const limits = await withScope(deps.pg, scopeOf(principal), async (tx) => {
        await tenantExists(tx, tenantId);
        return usageLimitsRepository.list(tx, tenantId);
      });
      return figures(tenantId, limits, at);
    },

    async remove(principal: Principal, requested: string, limitId: string): Promise<void> {
      const tenantId = resolveTenant(principal, requested);
      await withScope(deps.pg, scopeOf(principal), async (tx) => {
        const limit = await usageLimitsRepository.findById(tx, tenantId, limitId);
        if (!limit) throw notFound('usage limit');
        if (!mayDelete(limit.created_by_role, ownerOf(principal))) throw forbidden("an admin's limit can be deleted only by an admin");
        await usageLimitsRepository.delete(tx, tenantId, limitId);
      });
    },

    async authorize(principal: Principal, body: AuthorizeBody): Promise<AuthorizationJson> {
      let tenantId: string;
      if (principal.kind === 'apiKey') {
        if (body.tenantId !== undefined && body.tenantId !== principal.tenantId)
          throw forbidden("tenantId names another tenant; an API key authorizes only its own tenant's usage");
        tenantId = principal.tenantId;
      } else {
        if (body.tenantId === undefined) throw badRequest('tenantId', 'is required for an admin');
        tenantId = body.tenantId;
      }
      const input = {
        tenantId,
        meter: body.meter,
        quantity: body.quantity,
        ttlSeconds: body.ttlSeconds,
        idempotencyKey: body.idempotencyKey,
        creditCap: null,
      };
      for (let attempt = 0; ; attempt++) {
        if (attempt > 3)
          throw new HttpProblem(503, 'the usage limits changed while authorizing; try again', { headers: { 'Retry-After': '1' } });
        // On the pool, with the authorizations of the same (tenant, meter) that arrive meanwhile (authorize-batcher.ts).
        let outcome = await batched(input);
        let covered = true;
        if (outcome.needsCredit) {
          const meters = await deps.meters.all();
          ({ outcome, covered } = await withTenant(deps.pg, tenantId, (tx) => authorizeOnCredit(tx, input, meters, new Date())));
        }
        if (outcome.prior) {
          const first = await withTenant(deps.pg, tenantId, (tx) => usageLimitsRepository.answerOf(tx, tenantId, body.idempotencyKey));
          if (first && (first.meter !== body.meter || !new Decimal(first.quantity).eq(body.quantity)))
            throw new HttpProblem(422, 'this idempotencyKey was already used for another authorization; send a new key for a new request', {
              errors: [{ field: 'idempotencyKey', message: 'was used with another meter or quantity' }],
            });
          if (first) return answerJson(first);
          continue;
        }
        if (outcome.answer) {
          for (const c of outcome.crossed) await raiseLimitExceeded(deps.pg, tenantId, body.meter, c).catch(() => undefined);
          return answerJson(outcome.answer, !covered);
        }
        if (outcome.limits === 0) {
          await meterOf(body.meter, 'meter');
          if (!(await withTenant(deps.pg, tenantId, (tx) => tenantsRepository.findById(tx, tenantId)))) throw notFound('tenant');
          return { authorized: true, remaining: null, limit: null };
        }
        const limits = await withTenant(deps.pg, tenantId, async (tx) =>
          (await usageLimitsRepository.list(tx, tenantId)).filter((l) => l.meter === body.meter),
        );
        await ensureCounters(tenantId, limits, new Date());
      }
    },
  };
}

export type LimitsService = ReturnType<typeof createLimitsService>;
