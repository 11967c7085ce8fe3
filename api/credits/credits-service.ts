import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withScope, type Tx } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository, type TenantRow } from '../../db/postgres/tenants-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { creditLedgerRepository, type CreditGrantRow, type LedgerEntryRow } from '../../db/postgres/credit-ledger-repository.ts';
import { openGrant, writeExpiries } from '../../db/postgres/credit-ledger.ts';
import { formatAmount, fromMinorUnits, toDecimal, toMinorUnits } from '../../domain/money/index.ts';
import { creditAmountProblem } from '../../domain/credits/index.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import type { Principal } from '../http/route.ts';
import { HttpProblem, badRequest, notFound } from '../http/problem.ts';
import { createEstimateService } from '../subscriptions/estimate-service.ts';
import { creditPosition } from './credit-position.ts';
import type { MeterCatalog } from '../meters/meter-catalog.ts';
import type { GrantBody, GrantJson } from './credit-schemas.ts';

const money = (minor: bigint, currency: string) => formatAmount(fromMinorUnits(minor, currency), currency);

export function toGrant(g: CreditGrantRow): GrantJson {
  return {
    id: g.id,
    tenantId: g.tenant_id,
    source: g.source,
    amount: money(g.amount_minor, g.currency),
    remaining: money(g.remaining_minor, g.currency),
    currency: g.currency,
    priority: g.priority,
    effectiveAt: g.effective_at.toISOString(),
    expiresAt: g.expires_at?.toISOString() ?? null,
    appliesTo: g.applies_to,
    reason: g.reason,
    invoiceId: g.invoice_id,
    createdAt: g.created_at.toISOString(),
  };
}

/** A ledger entry as the ledger route (and the tenant overview) show it. */
export function toLedgerEntry(e: LedgerEntryRow, currency: string) {
  return {
    id: e.id,
    at: e.at.toISOString(),
    kind: e.kind,
    amount: money(e.amount_minor, currency),
    grantId: e.grant_id,
    ...(e.invoice_id ? { invoiceId: e.invoice_id } : {}),
    ...(e.line_id ? { lineId: e.line_id } : {}),
    balanceAfter: money(e.balance_after_minor, currency),
  };
}

/** The grant's amount in minor units of the tenant's currency, or a 400 naming the field. */
function grantAmountMinor(body: GrantBody, tenant: TenantRow): bigint {
  if (body.currency !== tenant.currency) throw badRequest('currency', `must be the tenant's currency, ${tenant.currency}`);
  const problem = creditAmountProblem(body.amount, tenant.currency, 'a grant');
  if (problem) throw badRequest('amount', problem);
  return toMinorUnits(toDecimal(body.amount), tenant.currency);
}

async function tenantOf(tx: Tx, tenantId: string): Promise<TenantRow> {
  const tenant = await tenantsRepository.findById(tx, tenantId);
  if (!tenant) throw notFound('tenant');
  return tenant;
}

/**
 * Credit grants, the ledger and the balance. A customer reads only their own tenant's (another
 * tenant is a 404, the same as a missing one); only operators grant. Each read writes what has
 * expired first, so what it shows is the ledger as of now.
 */
export function createCreditsService(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; meters: MeterCatalog }) {
  const estimates = createEstimateService(deps);
  return {
    async grant(principal: Principal, requested: string, body: GrantBody, idempotencyKey: string | null, at = new Date()) {
      const tenantId = resolveTenant(principal, requested);
      return withScope(deps.pg, scopeOf(principal), async (tx) => {
        const tenant = await tenantOf(tx, tenantId);
        const amountMinor = grantAmountMinor(body, tenant);
        const effectiveAt = body.effectiveAt ? new Date(body.effectiveAt) : at;
        const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
        if (expiresAt && expiresAt.getTime() <= effectiveAt.getTime()) throw badRequest('expiresAt', 'must be after effectiveAt');
        const appliesTo = body.appliesTo ? [...new Set(body.appliesTo)] : null;
        for (const code of appliesTo ?? []) {
          if (!(await metersRepository.findByCode(tx, code))) throw badRequest('appliesTo', `no meter has the code ${code}`);
        }
        const { grant, created } = await openGrant(
          tx,
          {
            tenantId,
            currency: tenant.currency,
            source: 'grant',
            amountMinor,
            priority: body.priority,
            effectiveAt,
            expiresAt,
            appliesTo,
            reason: body.reason,
            idempotencyKey,
            createdBy: principal.kind === 'user' ? principal.userId : null,
          },
          at,
        );
        if (!created && (grant.amount_minor !== amountMinor || grant.reason !== body.reason)) {
          throw new HttpProblem(422, 'this Idempotency-Key was already used for another grant; send a new key for a new request', {
            errors: [{ field: 'Idempotency-Key', message: 'was used with another request body' }],
          });
        }
        return { grant: toGrant(grant), created };
      });
    },

    async ledger(principal: Principal, requested: string, page: { limit: number; cursor?: string | undefined }, at = new Date()) {
      const tenantId = resolveTenant(principal, requested);
      return withScope(deps.pg, scopeOf(principal), async (tx) => {
        const tenant = await tenantOf(tx, tenantId);
        await writeExpiries(tx, tenantId, tenant.currency, at);
        // One more than asked: whether another page follows.
        const rows = await creditLedgerRepository.page(tx, tenantId, BigInt(page.cursor ?? '0'), page.limit + 1);
        const items = rows.slice(0, page.limit);
        return {
          items: items.map((e) => toLedgerEntry(e, tenant.currency)),
          nextCursor: rows.length > page.limit ? items.at(-1)!.seq.toString() : null,
        };
      });
    },

    async balance(principal: Principal, requested: string, at = new Date()) {
      const tenantId = resolveTenant(principal, requested);
      const scope = scopeOf(principal);
      const meters = await deps.meters.all();
      const { tenant, position, grants } = await withScope(deps.pg, scope, async (tx) => {
        const tenant = await tenantOf(tx, tenantId);
        const position = await creditPosition(tx, estimates, { tenantId, meters, currency: tenant.currency, at });
        return { tenant, position, grants: await creditLedgerRepository.grants(tx, tenantId, tenant.currency) };
      });
      const { granted, consumed, expired, remaining } = position.totals;
      const pendingMinor = position.pendingMinor;
      return {
        tenantId,
        currency: tenant.currency,
        granted: money(granted, tenant.currency),
        consumed: money(consumed, tenant.currency),
        expired: money(expired, tenant.currency),
        remaining: money(remaining, tenant.currency),
        pendingUsage: money(pendingMinor, tenant.currency),
        available: money(remaining - pendingMinor, tenant.currency),
        asOf: at.toISOString(),
        grants: grants.map(toGrant),
      };
    },
  };
}
