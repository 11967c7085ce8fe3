import { sql, type DatabasePool } from 'slonik';
import { createProcessFlushLock, type FlushLock } from '../../db/clickhouse/usage-writer.ts';

/** Tenants share this many lock buckets; a flush holds the buckets of its tenants. */
export const FLUSH_LOCK_BUCKETS = 1024;

/** A tenant's bucket: a stable hash of its id (FNV-1a over UTF-16 units). */
export function flushLockBucket(tenantId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tenantId.length; i++) h = Math.imul(h ^ tenantId.charCodeAt(i), 0x01000193) >>> 0;
  return h % FLUSH_LOCK_BUCKETS;
}

/**
 * The flush lock across API replicas: one PostgreSQL transaction per flush holding an
 * advisory transaction lock per tenant bucket, taken in ascending order (so two flushes never
 * wait on each other in a cycle) and released when the transaction ends, also when the
 * process dies (the server ends the session). Within the process, flushes of one tenant queue
 * first, so they do not each hold a pool connection while waiting.
 */
export function createPgFlushLock(pool: DatabasePool): FlushLock {
  const local = createProcessFlushLock();
  return (tenantIds, fn) =>
    local(tenantIds, () =>
      pool.transaction(async (tx) => {
        const buckets = [...new Set(tenantIds.map(flushLockBucket))].sort((a, b) => a - b);
        for (const b of buckets) await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`ingest-flush:${b}`}, 0))`);
        return fn();
      }),
    );
}
