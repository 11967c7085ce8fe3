import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';

export type Tx = DatabaseTransactionConnection;

// Every method of a transaction connection that sends something to the server.
const STATEMENT_METHODS = new Set<PropertyKey>([
  'any',
  'anyFirst',
  'exists',
  'many',
  'manyFirst',
  'maybeOne',
  'maybeOneFirst',
  'one',
  'oneFirst',
  'query',
  'stream',
  'transaction',
]);

/**
 * A connection runs one statement at a time, and slonik's transaction connection does not queue
 * them: with two in flight (a Promise.all over one tx), a failing query makes the transaction roll
 * back while its sibling still runs, and slonik then fails with "Expected `activeQueryPromise` to
 * be set" instead of the real error. So `work` gets a tx whose statements wait their turn, and
 * the transaction ends only once every statement it started has settled.
 */
function oneAtATime(tx: Tx): { tx: Tx; settled: () => Promise<void> } {
  let tail: Promise<unknown> = Promise.resolve();
  const queued = new Proxy(tx, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (!STATEMENT_METHODS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = tail.then(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        tail = result.then(noop, noop);
        return result;
      };
    },
  });
  const settled = async () => {
    // A statement queued while waiting (by code that outlived its Promise.all) is waited for too.
    for (let seen = tail; ; seen = tail) {
      await seen;
      if (seen === tail) return;
    }
  };
  return { tx: queued, settled };
}

const noop = () => {};

async function inTransaction<T>(pool: DatabasePool, setup: ReturnType<typeof sql.unsafe>, work: (tx: Tx) => Promise<T>): Promise<T> {
  return pool.transaction(async (raw) => {
    await raw.query(setup);
    const { tx, settled } = oneAtATime(raw);
    try {
      return await work(tx);
    } finally {
      await settled();
    }
  });
}

/**
 * Runs `work` in a transaction where row-level security admits only `tenantId`'s rows.
 * set_config(..., true) is transaction-local, so the setting cannot leak to the next
 * user of the pooled connection.
 */
export async function withTenant<T>(pool: DatabasePool, tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction(
    pool,
    sql.unsafe`SELECT set_config('app.tenant_id', ${tenantId}, true), set_config('app.operator', 'off', true)`,
    work,
  );
}

/** Runs `work` in the explicit operator scope (admin and finance), which policies admit across tenants. */
export async function withOperator<T>(pool: DatabasePool, work: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction(pool, sql.unsafe`SELECT set_config('app.operator', 'on', true), set_config('app.tenant_id', '', true)`, work);
}

/** The scope of a request: one tenant, or the operator. */
export type Scope = { kind: 'tenant'; tenantId: string } | { kind: 'operator' };

export function withScope<T>(pool: DatabasePool, scope: Scope, work: (tx: Tx) => Promise<T>): Promise<T> {
  return scope.kind === 'operator' ? withOperator(pool, work) : withTenant(pool, scope.tenantId, work);
}
