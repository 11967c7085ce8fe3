import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { withOperator, withTenant } from './tenant-scope.ts';
import { anomalyEpisodesRepository as episodes } from './anomaly-episodes-repository.ts';

let db: TestDatabase;
let a: string;
let b: string;
const w = (minutes: number) => new Date(Date.UTC(2026, 2, 1, 12) + minutes * 60_000);
const key = { eventType: 'api_call', kind: 'usage_spike' as const };

beforeAll(async () => {
  db = await createTestDatabase();
  [a, b] = (await withOperator(db.pool, async (tx) => [
    await tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('A') RETURNING id`),
    await tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('B') RETURNING id`),
  ])) as [string, string];
});
afterAll(async () => db?.drop());

describe('anomaly_episodes', () => {
  it('two transactions opening the same episode at once open it once; the other gets null', async () => {
    const open = () =>
      withTenant(db.pool, a, async (tx) => {
        const row = await episodes.openIfNone(tx, { tenantId: a, ...key, windowEnd: w(0) });
        // hold the transaction open a moment, so the two inserts overlap
        await tx.query(sql.unsafe`SELECT pg_sleep(0.2)`);
        return row;
      });
    const results = await Promise.all([open(), open(), open()]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await withTenant(db.pool, a, (tx) => episodes.list(tx, a))).toHaveLength(1);
  });

  it('markSeen never moves backwards, and close does not close what a newer scan has seen', async () => {
    const [open] = await withTenant(db.pool, a, (tx) => episodes.list(tx, a));
    await withTenant(db.pool, a, async (tx) => {
      await episodes.markSeen(tx, open!.id, w(10));
      await episodes.markSeen(tx, open!.id, w(5));
      await episodes.close(tx, open!.id, w(5));
    });
    expect((await withTenant(db.pool, a, (tx) => episodes.list(tx, a)))[0]).toMatchObject({ last_seen_window_end: w(10), closed_at: null });
    await withTenant(db.pool, a, (tx) => episodes.close(tx, open!.id, w(15)));
    expect((await withTenant(db.pool, a, (tx) => episodes.list(tx, a)))[0]).toMatchObject({
      closed_window_end: w(15),
      closed_at: expect.any(Date),
    });
    // once closed, a new episode of the same key can open
    expect(await withTenant(db.pool, a, (tx) => episodes.openIfNone(tx, { tenantId: a, ...key, windowEnd: w(30) }))).toMatchObject({
      opened_window_end: w(30),
    });
  });

  it("another tenant neither sees nor changes tenant A's episodes", async () => {
    expect(await withTenant(db.pool, b, (tx) => episodes.list(tx, a))).toEqual([]);
    expect(await withTenant(db.pool, b, (tx) => episodes.listOpen(tx))).toEqual([]);
    const [open] = await withTenant(db.pool, a, (tx) => episodes.listOpen(tx));
    await withTenant(db.pool, b, (tx) => episodes.close(tx, open!.id, w(60)));
    expect((await withTenant(db.pool, a, (tx) => episodes.listOpen(tx))).map((e) => e.id)).toEqual([open!.id]);
    await expect(withTenant(db.pool, b, (tx) => episodes.openIfNone(tx, { tenantId: a, ...key, windowEnd: w(60) }))).rejects.toThrow(
      /row-level security/,
    );
    // the operator scope (the scan) sees every tenant's open episodes
    expect((await withOperator(db.pool, (tx) => episodes.listOpen(tx))).map((e) => e.tenant_id)).toEqual([a]);
  });
});
