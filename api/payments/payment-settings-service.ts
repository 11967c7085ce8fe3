import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { invoicesRepository } from '../../db/postgres/invoices-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { dunningWorkflowId, paymentMethodUpdatedSignal } from '../../workflows/contract.ts';
import { notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import { resolveTenant } from '../auth/tenant-access.ts';
import { tellWorkflow } from '../invoices/tell-workflow.ts';
import { defaultPaymentSettings, toPaymentSettings, type PaymentSettings, type PaymentSettingsInput } from './payment-settings-schemas.ts';

/** How far one settings change reaches back: the open invoices of each status it retries. */
const OPEN_INVOICES_RETRIED = 200;

/** A tenant's payment settings: which gateway charges its invoices, and the built-in gateway's script. */
export function createPaymentSettingsService(deps: { pg: DatabasePool; temporal: TemporalClient }) {
  const { pg } = deps;
  return {
    /** The tenant's settings, or the defaults when it never set any; a customer reads only their own tenant's (else 404). */
    async get(principal: Principal, tenantId: string): Promise<PaymentSettings> {
      const own = resolveTenant(principal, tenantId);
      const row = await withOperator(pg, (tx) => paymentsRepository.settings(tx, own));
      return row ? toPaymentSettings(row) : defaultPaymentSettings(own);
    },

    /**
     * Stores a tenant's settings. A change counts as "payment method updated": each open
     * invoice's dunning retries at once.
     */
    async update(tenantId: string, s: PaymentSettingsInput): Promise<PaymentSettings> {
      if (!(await withOperator(pg, (tx) => tenantsRepository.findById(tx, tenantId)))) throw notFound('tenant');
      const row = await withTenant(pg, tenantId, (tx) => paymentsRepository.upsertSettings(tx, tenantId, s));
      const open = await withTenant(pg, tenantId, async (tx) => [
        ...(await invoicesRepository.list(tx, { tenantId, status: 'finalized', limit: OPEN_INVOICES_RETRIED, offset: 0 })),
        ...(await invoicesRepository.list(tx, { tenantId, status: 'payment_failed', limit: OPEN_INVOICES_RETRIED, offset: 0 })),
      ]);
      for (const invoice of open)
        await tellWorkflow(deps.temporal, dunningWorkflowId(invoice.id), (h) => h.signal(paymentMethodUpdatedSignal));
      return toPaymentSettings(row);
    },
  };
}
