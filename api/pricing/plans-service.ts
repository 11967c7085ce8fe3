import type { DatabasePool } from 'slonik';
import type { z } from 'zod';
import { withOperator, withScope, type Scope } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { isRateCard, quotePlan, quoteRangeProblem, quoteUsageProblem, type Usage } from '../../domain/pricing/index.ts';
import { toDecimal, toDecimalString } from '../../domain/money/index.ts';
import { creditAmountProblem } from '../../domain/credits/index.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { planBody } from './plan-schemas.ts';
import type { Tx } from '../../db/postgres/tenant-scope.ts';

type PlanBody = z.output<typeof planBody>;

/** Included credits are money of the plan's currency: its digits, greater than 0, within what a grant holds. */
function checkIncludedCredits(plan: PlanBody): void {
  if (!plan.includedCredits) return;
  const problem = creditAmountProblem(plan.includedCredits.amount, plan.currency, 'included credits');
  if (problem) throw badRequest('includedCredits.amount', problem);
}

/**
 * A rate card prices by a property its meter reads the usage by: `priceBy` must be one of the
 * meter's groupBy properties (a meter not defined yet has none). 400 naming charges.<i>.priceBy.
 */
async function checkRateCards(tx: Tx, plan: Omit<PlanBody, 'visibility'>): Promise<void> {
  for (const [i, charge] of plan.charges.entries()) {
    if (!isRateCard(charge)) continue;
    const meter = await metersRepository.findByCode(tx, charge.meter);
    if (!meter)
      throw badRequest(
        `charges.${i}.priceBy`,
        `needs the meter ${charge.meter} to be defined, with ${charge.priceBy} among its groupBy properties`,
      );
    if (!meter.groupBy.includes(charge.priceBy))
      throw badRequest(
        `charges.${i}.priceBy`,
        `must be one of the groupBy properties of meter ${charge.meter}` +
          (meter.groupBy.length ? ` (${meter.groupBy.join(', ')})` : ', which has none'),
      );
  }
}

/**
 * Plans (operator-owned, versioned) and quotes. Every read takes the caller's scope and goes
 * through the repository's visibility condition: a customer reads public plans and the
 * versions their tenant uses, and anything else is 404 (not 403), so a private plan's
 * existence does not leak. Quotes read the plan the same way, so they cannot price it either.
 */
export function createPlansService(pg: DatabasePool) {
  return {
    async create(body: PlanBody): Promise<PlanRecord> {
      const { visibility, ...plan } = body;
      checkIncludedCredits(body);
      return withOperator(pg, async (tx) => {
        await checkRateCards(tx, plan);
        const record = await plansRepository.create(tx, plan, visibility);
        if (record === 'taken') throw conflict('code', 'is already used by another plan');
        return record;
      });
    },

    async list(scope: Scope, page: { limit: number; offset: number }) {
      const [items, total] = await withScope(pg, scope, (tx) =>
        Promise.all([plansRepository.list(tx, scope, page), plansRepository.count(tx, scope)]),
      );
      return { items, total };
    },

    async get(scope: Scope, id: string, version?: number): Promise<PlanRecord> {
      const record = await withScope(pg, scope, (tx) => plansRepository.findVisible(tx, scope, id, version));
      if (!record) throw notFound('plan');
      return record;
    },

    async versions(scope: Scope, id: string): Promise<PlanRecord[]> {
      const versions = await withScope(pg, scope, (tx) => plansRepository.versions(tx, scope, id));
      if (versions.length === 0) throw notFound('plan');
      return versions;
    },

    async update(id: string, body: PlanBody): Promise<PlanRecord> {
      const { visibility, ...plan } = body;
      checkIncludedCredits(body);
      const change = await withOperator(pg, async (tx) => {
        const current = await plansRepository.findById(tx, id);
        if (!current) throw notFound('plan');
        if (current.plan.code !== plan.code) throw badRequest('code', `cannot change (the plan's code is ${current.plan.code})`);
        await checkRateCards(tx, plan);
        return plansRepository.update(tx, id, plan, visibility);
      });
      if (!change) throw notFound('plan');
      return change.record;
    },

    /** Tax comes from `tenantId`'s rate (none: 0). The caller has already checked the tenant is theirs to name. */
    async quote(scope: Scope, id: string, input: { usage: Usage; version?: number | undefined; tenantId: string | undefined }) {
      const [record, tenant] = await withScope(pg, scope, (tx) =>
        Promise.all([
          plansRepository.findVisible(tx, scope, id, input.version),
          input.tenantId ? tenantsRepository.findById(tx, input.tenantId) : null,
        ]),
      );
      if (!record) throw notFound('plan');
      if (input.tenantId && !tenant) throw notFound('tenant');
      const taxRate = toDecimalString(toDecimal(tenant?.tax_rate ?? '0'));
      const shape = quoteUsageProblem(record.plan, input.usage);
      if (shape) throw badRequest(shape.field, shape.message);
      const quote = quotePlan(record.plan, input.usage, taxRate);
      // A quote must not promise what no invoice could hold.
      const outOfRange = quoteRangeProblem(quote);
      if (outOfRange) throw badRequest(outOfRange.meter === null ? 'usage' : `usage.${outOfRange.meter}`, outOfRange.message);
      return { planId: record.id, planVersion: record.version, tenantId: tenant?.id ?? null, taxRate, ...quote };
    },
  };
}
