import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

// Subscription workflows to start after their subscription commits (see migration 0021).

const startRow = z.object({
  subscription_id: z.string(),
  tenant_id: z.string(),
  workflow_id: z.string(),
  input: z.unknown(),
  search_attributes: z.object({ tenantId: z.string(), status: z.string() }).nullable(),
  started_at: z.date().nullable(),
});
export type WorkflowStartRow = z.infer<typeof startRow>;

export type NewWorkflowStart = {
  subscriptionId: string;
  tenantId: string;
  workflowId: string;
  input: unknown;
  searchAttributes: { tenantId: string; status: string } | null;
};

const columns = sql.fragment`subscription_id, tenant_id, workflow_id, input, search_attributes, started_at`;

export const workflowStartsRepository = {
  record: (tx: Tx, s: NewWorkflowStart) =>
    tx.query(sql.unsafe`
      INSERT INTO subscription_workflow_starts (subscription_id, tenant_id, workflow_id, input, search_attributes)
      VALUES (${s.subscriptionId}, ${s.tenantId}, ${s.workflowId}, ${sql.jsonb(s.input as never)},
              ${s.searchAttributes === null ? null : sql.jsonb(s.searchAttributes)})`),

  find: (tx: Tx, subscriptionId: string) =>
    tx.maybeOne(sql.type(startRow)`SELECT ${columns} FROM subscription_workflow_starts WHERE subscription_id = ${subscriptionId}`),

  /** The oldest committed subscriptions whose workflow is not known to be started. */
  unstarted: (tx: Tx, limit: number) =>
    tx.any(sql.type(startRow)`
      SELECT ${columns} FROM subscription_workflow_starts WHERE started_at IS NULL ORDER BY created_at, subscription_id LIMIT ${limit}`),

  markStarted: (tx: Tx, subscriptionId: string) =>
    tx.query(
      sql.unsafe`UPDATE subscription_workflow_starts SET started_at = now() WHERE subscription_id = ${subscriptionId} AND started_at IS NULL`,
    ),
};
