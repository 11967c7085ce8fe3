import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';

/** One rate limit an attempt counts against: `key` (an email, an address) in `bucket`, over a sliding window. */
export type AttemptKey = { bucket: string; key: string; windowSeconds: number };

const usage = z.object({ n: z.number(), retry_after: z.number().nullable() });

const columns = (keys: readonly AttemptKey[]) => ({
  buckets: sql.array(
    keys.map((k) => k.bucket),
    'text',
  ),
  keys: sql.array(
    keys.map((k) => k.key),
    'text',
  ),
  windows: sql.array(
    keys.map((k) => k.windowSeconds),
    'int4',
  ),
});

export const authAttemptsRepository = {
  /**
   * Holds every other taker of the same keys until this transaction ends. The keys are
   * locked in one order (sorted), so two transactions that share two keys cannot deadlock.
   * Bucket names hold no ':', so `bucket:key` names one key only.
   */
  async lock(tx: DatabaseTransactionConnection, keys: readonly AttemptKey[]): Promise<void> {
    const names = [...new Set(keys.map((k) => `${k.bucket}:${k.key}`))].sort();
    for (const name of names) await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${name}, 0))`);
  },

  /** Forgets the attempts of these keys that have left their window (the table stays as small as the live windows). */
  prune: (tx: DatabaseTransactionConnection, keys: readonly AttemptKey[]) => {
    const c = columns(keys);
    return tx.query(sql.unsafe`
      DELETE FROM auth_attempts a
      USING unnest(${c.buckets}, ${c.keys}, ${c.windows}) AS t(bucket, key, secs)
      WHERE a.bucket = t.bucket AND a.key = t.key AND a.at <= now() - make_interval(secs => t.secs)`);
  },

  /**
   * Per key, in the order given: the attempts inside its window, and the seconds until the
   * oldest of them leaves it (computed by PostgreSQL, so the app's clock does not matter).
   */
  usage: (tx: DatabaseTransactionConnection, keys: readonly AttemptKey[]) => {
    const c = columns(keys);
    return tx.many(sql.type(usage)`
      SELECT count(a.id)::int AS n,
             ceil(extract(epoch FROM min(a.at) + make_interval(secs => t.secs) - now()))::int AS retry_after
      FROM unnest(${c.buckets}, ${c.keys}, ${c.windows}) WITH ORDINALITY AS t(bucket, key, secs, i)
      LEFT JOIN auth_attempts a ON a.bucket = t.bucket AND a.key = t.key AND a.at > now() - make_interval(secs => t.secs)
      GROUP BY t.i, t.secs
      ORDER BY t.i`);
  },

  record: (tx: DatabaseTransactionConnection, attempt: string, keys: readonly AttemptKey[]) => {
    const c = columns(keys);
    return tx.query(sql.unsafe`
      INSERT INTO auth_attempts (attempt, bucket, key)
      SELECT ${attempt}, bucket, key FROM unnest(${c.buckets}, ${c.keys}) AS t(bucket, key)`);
  },

  deleteAttempt: (db: CommonQueryMethods, attempt: string) => db.query(sql.unsafe`DELETE FROM auth_attempts WHERE attempt = ${attempt}`),

  clearKey: (db: CommonQueryMethods, bucket: string, key: string) =>
    db.query(sql.unsafe`DELETE FROM auth_attempts WHERE bucket = ${bucket} AND key = ${key}`),
};
