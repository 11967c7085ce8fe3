import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { migratePostgres, readMigrations } from './migrate.ts';

// Migration 0028 must turn each tenant credit balance of the interim credit (0016) into a grant of
// the ledger, so that no tenant loses a cent. So: a database migrated up to the migration before
// it, balances written the way the old schema held them, then 0028, then a look at the ledger.
const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
let serverUrl: string;
let url: string;
let name: string;
let olderDir: string;

async function query<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  serverUrl = inject('pgOwnerUrl');
  name = `m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  url = u.toString();
  olderDir = await mkdtemp(join(tmpdir(), 'migrations-before-0028-'));
  for (const m of (await readMigrations()).filter((m) => m.version < 28)) {
    const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
    await copyFile(join(MIGRATIONS_DIR, file), join(olderDir, file));
  }
});
afterAll(async () => {
  await rm(olderDir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('migration 0028 (credit grants and the ledger)', () => {
  it('turns each balance above zero into an overpayment grant opened with it, and nothing else', async () => {
    // given the schema before 0028, with balances of the interim tenant credit
    const before = await migratePostgres(url, olderDir);
    expect(before.some((m) => m.startsWith('28_'))).toBe(false);
    const [a] = await query<{ id: string }>("INSERT INTO tenants (name) VALUES ('Owed Co') RETURNING id");
    const [b] = await query<{ id: string }>("INSERT INTO tenants (name) VALUES ('Spent Co') RETURNING id");
    await query(
      `INSERT INTO tenant_credits (tenant_id, currency, balance_minor, updated_at) VALUES
         ($1, 'USD', 3007, '2026-11-01T00:00:00Z'), ($1, 'JPY', 9223372036854775807, '2026-11-02T00:00:00Z'), ($2, 'USD', 0, now())`,
      [a!.id, b!.id],
    );

    // when 0028 is applied
    const ran = await migratePostgres(url);
    expect(ran[0]).toBe('28_credit_ledger');

    // then each balance is one grant, never expiring, with one opening entry of that amount
    const grants = await query(
      `SELECT tenant_id, currency, source, amount_minor::text AS amount, expires_at, applies_to, priority,
              (SELECT json_agg(json_build_object('kind', e.kind, 'amount', e.amount_minor::text, 'at', e.at))
                 FROM credit_ledger_entries e WHERE e.grant_id = g.id) AS entries
       FROM credit_grants g ORDER BY currency DESC`,
    );
    expect(grants).toEqual([
      {
        tenant_id: a!.id,
        currency: 'USD',
        source: 'overpayment',
        amount: '3007',
        expires_at: null,
        applies_to: null,
        priority: 0,
        entries: [{ kind: 'overpayment', amount: '3007', at: '2026-11-01T00:00:00+00:00' }],
      },
      {
        tenant_id: a!.id,
        currency: 'JPY',
        source: 'overpayment',
        amount: '9223372036854775807',
        expires_at: null,
        applies_to: null,
        priority: 0,
        entries: [{ kind: 'overpayment', amount: '9223372036854775807', at: '2026-11-02T00:00:00+00:00' }],
      },
    ]);
  });

  it('keeps the ledger append-only and each opening once', async () => {
    const [entry] = await query<{ id: string; grant_id: string; tenant_id: string }>(
      'SELECT id, grant_id, tenant_id FROM credit_ledger_entries LIMIT 1',
    );
    await expect(query('UPDATE credit_ledger_entries SET amount_minor = 1 WHERE id = $1', [entry!.id])).rejects.toThrow(/never changed/);
    await expect(
      query("INSERT INTO credit_ledger_entries (tenant_id, grant_id, kind, amount_minor, at) VALUES ($1, $2, 'grant', 5, now())", [
        entry!.tenant_id,
        entry!.grant_id,
      ]),
    ).rejects.toThrow(/credit_ledger_one_opening/);
    await expect(
      query("INSERT INTO credit_ledger_entries (tenant_id, grant_id, kind, amount_minor, at) VALUES ($1, $2, 'expiry', 5, now())", [
        entry!.tenant_id,
        entry!.grant_id,
      ]),
    ).rejects.toThrow(/check constraint/);
  });
});
