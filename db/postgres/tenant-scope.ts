import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';

export type Tx = DatabaseTransactionConnection;

/**
 * Runs `work` in a transaction where row-level security admits only `tenantId`'s rows.
 * set_config(..., true) is transaction-local, so the setting cannot leak to the next
 * user of the pooled connection.
 */
export async function withTenant<T>(pool: DatabasePool, tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`SELECT set_config('app.tenant_id', ${tenantId}, true), set_config('app.operator', 'off', true)`);
    return work(tx);
  });
}

/** Runs `work` in the explicit operator scope (admin and finance), which policies admit across tenants. */
export async function withOperator<T>(pool: DatabasePool, work: (tx: Tx) => Promise<T>): Promise<T> {
  return pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`SELECT set_config('app.operator', 'on', true), set_config('app.tenant_id', '', true)`);
    return work(tx);
  });
}

/** The scope of a request: one tenant, or the operator. */
export type Scope = { kind: 'tenant'; tenantId: string } | { kind: 'operator' };

export function withScope<T>(pool: DatabasePool, scope: Scope, work: (tx: Tx) => Promise<T>): Promise<T> {
  return scope.kind === 'operator' ? withOperator(pool, work) : withTenant(pool, scope.tenantId, work);
}
