import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBeforeMigration } from '../../test/harness/migrated-before.ts';

// Migration 0012 must turn the keys and plans that exist into ingest keys and private plans.
// So: a database migrated only up to the migration before it, a key and a plan written the
// way the old schema wrote them, then 0012, then a look at what they became.
let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;
const query = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => db.query<T>(text, values);

beforeAll(async () => {
  db = await databaseBeforeMigration(12);
});
afterAll(async () => {
  await db?.drop();
});

describe('migration 0012 (API key scopes, plan visibility)', () => {
  it('turns every existing key into an ingest key and every existing plan into a private one', async () => {
    // given the schema before 0012, with a key and a plan in it
    const before = await db.migrateBefore();
    expect(before.some((m) => m.startsWith('12_'))).toBe(false);
    const [tenant] = await query<{ id: string }>("INSERT INTO tenants (name) VALUES ('Old Co') RETURNING id");
    const [key] = await query<{ id: string }>(
      "INSERT INTO api_keys (tenant_id, name, prefix, key_hash) VALUES ($1, 'old key', 'mp_live_abcd', $2) RETURNING id",
      [tenant!.id, randomBytes(32)],
    );
    const [plan] = await query<{ id: string }>("INSERT INTO plans (code) VALUES ('old-plan') RETURNING id");

    // when 0012 is applied
    const ran = await db.migrateRest();
    expect(ran[0]).toBe('12_api_key_scopes_plan_visibility');

    // then the key is an ingest key and the plan private
    expect(await query('SELECT scopes FROM api_keys WHERE id = $1', [key!.id])).toEqual([{ scopes: ['ingest'] }]);
    expect(await query('SELECT visibility FROM plans WHERE id = $1', [plan!.id])).toEqual([{ visibility: 'private' }]);
  });

  it('leaves no default for new keys, and admits only known, non-empty scope sets', async () => {
    const [tenant] = await query<{ id: string }>("INSERT INTO tenants (name) VALUES ('New Co') RETURNING id");
    const insert = (scopes: string[] | null) =>
      query('INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)', [
        tenant!.id,
        'k',
        'mp_live_xxxx',
        randomBytes(32),
        scopes,
      ]);
    await expect(
      query('INSERT INTO api_keys (tenant_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4)', [
        tenant!.id,
        'k',
        'mp_live_xxxx',
        randomBytes(32),
      ]),
    ).rejects.toThrow(/null value in column "scopes"/);
    await expect(insert([])).rejects.toThrow(/api_keys_scopes_known/);
    await expect(insert(['admin'])).rejects.toThrow(/api_keys_scopes_known/);
    await expect(insert(['read', null as unknown as string])).rejects.toThrow(/api_keys_scopes_known/);
    await expect(insert(['read'])).resolves.toEqual([]);
    await expect(query("INSERT INTO plans (code, visibility) VALUES ('p2', 'secret')")).rejects.toThrow(/check constraint/);
  });
});
