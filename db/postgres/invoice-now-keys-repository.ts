import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

// Idempotency keys of invoice-now (tenant-owned, RLS): which invoice a key stands for.

export const invoiceNowKeyRow = z.object({
  tenant_id: z.string(),
  idempotency_key: z.string(),
  subscription_id: z.string(),
  invoice_id: z.string(),
  created_at: z.date(),
});
export type InvoiceNowKeyRow = z.infer<typeof invoiceNowKeyRow>;

export const invoiceNowKeysRepository = {
  /**
   * Claims `key` for this request, or returns the first claim. A concurrent claim of the same key
   * waits on the insert's lock and then reads the committed row, so both get one invoice id.
   */
  claim: async (tx: Tx, k: { tenantId: string; key: string; subscriptionId: string; invoiceId: string }): Promise<InvoiceNowKeyRow> => {
    await tx.query(sql.unsafe`
      INSERT INTO invoice_now_keys (tenant_id, idempotency_key, subscription_id, invoice_id)
      VALUES (${k.tenantId}, ${k.key}, ${k.subscriptionId}, ${k.invoiceId})
      ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`);
    return tx.one(sql.type(invoiceNowKeyRow)`
      SELECT tenant_id, idempotency_key, subscription_id, invoice_id, created_at
      FROM invoice_now_keys WHERE tenant_id = ${k.tenantId} AND idempotency_key = ${k.key}`);
  },
};
