import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { withOperator, withTenant } from './tenant-scope.ts';
import { tenantsRepository } from './tenants-repository.ts';
import { openGrant, writeExpiries } from './credit-ledger.ts';

// Credit alerts against the real PostgreSQL: a fall of the ledger's balance below the tenant's
// threshold, or to zero, raises one alert per crossing (and its credit.* webhook in the outbox),
// even when two ledger writes cross at once; a grant that lifts it back makes the next fall a new
// crossing; another tenant's customer sees none of it; a bad threshold is 400 and changes nothing.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');
const admin = () => ({ Authorization: `Bearer ${api.tokens.admin}` });

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
});
afterAll(async () => {
  await db?.drop();
  await ch?.dispose();
});

/** Opens a grant of `amount` minor units, live from `from` until `until`. */
const grant = (tenantId: string, amountMinor: bigint, from: number, until: number | null) =>
  withTenant(db.pool, tenantId, (tx) =>
    openGrant(
      tx,
      {
        tenantId,
        currency: 'USD',
        source: 'grant',
        amountMinor,
        priority: 0,
        effectiveAt: new Date(from),
        expiresAt: until === null ? null : new Date(until),
        appliesTo: null,
        reason: 'test',
      },
      new Date(from),
    ),
  );
const expire = (tenantId: string, at: number) => withTenant(db.pool, tenantId, (tx) => writeExpiries(tx, tenantId, 'USD', new Date(at)));
/** A query as the database owner (beside RLS), to read what was stored. */
async function ownerRows<R>(text: string, values: unknown[]): Promise<R[]> {
  const client = await db.owner();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}
const alertsOf = async (tenantId: string) =>
  (await ownerRows(`SELECT kind, observed::text, expected::text FROM alerts WHERE tenant_id = $1 ORDER BY created_at, kind`, [
    tenantId,
  ])) as { kind: string; observed: string; expected: string }[];
const outboxTypes = async (tenantId: string) =>
  (
    await ownerRows(`SELECT event_type FROM webhook_outbox WHERE tenant_id = $1 AND event_type LIKE 'credit.%' ORDER BY event_type`, [
      tenantId,
    ])
  ).map((r) => (r as { event_type: string }).event_type);
const setThreshold = (tenantId: string, creditLowThreshold: unknown) =>
  api.request.patch(`/api/tenants/${tenantId}`).set(admin()).send({ creditLowThreshold });

describe('credit alerts', () => {
  it('raises credit_low once when the balance falls below the threshold, and again after a grant lifts it back', async () => {
    const t = api.tenants.a.id;
    expect((await setThreshold(t, '10.00')).body.creditLowThreshold).toBe('10.00');
    await grant(t, 500n, T0, null); // 5.00 that never expires
    await grant(t, 1000n, T0, T0 + HOUR); // 10.00 until T0 + 1h: balance 15.00
    expect(await alertsOf(t)).toEqual([]);

    // Two writes of the expiry at once: one writes it, the other finds nothing left to expire.
    await Promise.all([expire(t, T0 + 2 * HOUR), expire(t, T0 + 2 * HOUR)]);
    expect(await alertsOf(t)).toEqual([{ kind: 'credit_low', observed: '5.000000000000', expected: '10.000000000000' }]);
    await expire(t, T0 + 3 * HOUR);
    expect(await alertsOf(t)).toHaveLength(1);

    // Back above the threshold, and down again: a new crossing.
    await grant(t, 2000n, T0 + 3 * HOUR, T0 + 4 * HOUR);
    await expire(t, T0 + 5 * HOUR);
    expect((await alertsOf(t)).map((a) => a.kind)).toEqual(['credit_low', 'credit_low']);
    expect(await outboxTypes(t)).toEqual(['credit.balance_low', 'credit.balance_low']);
  });

  it('raises credit_depleted once when the balance reaches zero, with credit_low in the same write', async () => {
    const t = api.tenants.b.id;
    expect((await setThreshold(t, '1')).status).toBe(200);
    await grant(t, 300n, T0, T0 + HOUR);
    await grant(t, 400n, T0, T0 + HOUR);
    await Promise.all([expire(t, T0 + 2 * HOUR), expire(t, T0 + 2 * HOUR), expire(t, T0 + 2 * HOUR)]);
    expect((await alertsOf(t)).map((a) => a.kind).sort()).toEqual(['credit_depleted', 'credit_low']);
    expect(await outboxTypes(t)).toEqual(['credit.balance_low', 'credit.depleted']);

    // Another tenant's customer sees none of them; the tenant's own customer does.
    const asCustomerA = await api.request.get(`/api/alerts?tenantId=${t}`).set({ Authorization: `Bearer ${api.tokens.customerA}` });
    expect(asCustomerA.status).toBe(404);
    const own = await api.request.get('/api/alerts').set({ Authorization: `Bearer ${api.tokens.customerB}` });
    expect(own.body.items.map((a: { kind: string }) => a.kind).sort()).toEqual(['credit_depleted', 'credit_low']);
    const mine = await api.request.get('/api/alerts').set({ Authorization: `Bearer ${api.tokens.customerA}` });
    expect(mine.body.items.filter((a: { tenantId: string }) => a.tenantId === t)).toEqual([]);
  });

  it('refuses a bad threshold with 400 naming creditLowThreshold, and changes nothing', async () => {
    const t = await withOperator(db.pool, (tx) => tenantsRepository.insert(tx, { name: 'jpy', currency: 'JPY' }));
    expect((await setThreshold(t.id, '100')).status).toBe(200);
    for (const bad of ['-1', '1.5', 'ten', 10, '1e3', '1000000000000000000'])
      expect([(await setThreshold(t.id, bad)).status, (await setThreshold(t.id, bad)).body.errors?.[0]?.field], String(bad)).toEqual([
        400,
        'creditLowThreshold',
      ]);
    // Into a currency with fewer decimals than the kept threshold: refused too.
    const usd = await withOperator(db.pool, (tx) =>
      tenantsRepository.insert(tx, { name: 'usd', currency: 'USD', creditLowThreshold: '2.50' }),
    );
    const res = await api.request.patch(`/api/tenants/${usd.id}`).set(admin()).send({ currency: 'JPY', name: 'renamed' });
    expect([res.status, res.body.errors?.[0]?.field]).toEqual([400, 'creditLowThreshold']);
    const after = (await api.request.get(`/api/tenants/${usd.id}`).set(admin())).body;
    expect([after.currency, after.name, after.creditLowThreshold]).toEqual(['USD', 'usd', '2.50']);
    expect((await api.request.get(`/api/tenants/${t.id}`).set(admin())).body.creditLowThreshold).toBe('100');
    expect((await setThreshold(t.id, null)).body.creditLowThreshold).toBeNull();
  });
});
