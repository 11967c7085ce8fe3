import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBeforeMigration } from '../../test/harness/migrated-before.ts';

// Migration 0027 moves the event type of every stored spike and drop out of `meter` into
// `event_type`, and leaves the meter of every other alert where it is.
let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;
let tenantId: string;

const insertAlert = (kind: string, meter: string | null, level: number | null = null, windowStart = '2026-03-01T12:00:00Z') =>
  db.query<{ id: string }>(
    `INSERT INTO alerts (tenant_id, meter, kind, severity, window_start, window_end, level, observed, message)
     VALUES ($1, $2, $3, 'warning', $4, '2026-03-01T12:05:00Z', $5, 1, 'm') RETURNING id`,
    [tenantId, meter, kind, windowStart, level],
  );
const stored = async (id: string) =>
  (await db.query('SELECT meter, event_type FROM alerts WHERE id = $1', [id]))[0] as { meter: string | null; event_type: string | null };

beforeAll(async () => {
  db = await databaseBeforeMigration(27);
});
afterAll(async () => {
  await db?.drop();
});

describe('migration 0027 (an alert’s event type in its own column)', () => {
  it('moves a spike’s and a drop’s event type out of meter, and keeps a billing_failed’s meter', async () => {
    // given alerts written the way the schema before 0027 wrote them
    await db.migrateBefore();
    [{ id: tenantId }] = (await db.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('Old Co') RETURNING id")) as [{ id: string }];
    const [[spike], [drop], [failed], [budget]] = await Promise.all([
      insertAlert('usage_spike', 'api_call'),
      insertAlert('usage_drop', 'e'.repeat(256)),
      insertAlert('billing_failed', 'bytes'),
      insertAlert('budget_threshold', null, 80),
    ]);

    // when 0027 is applied
    const ran = await db.migrateRest();
    expect(ran[0]).toBe('27_alert_event_type');

    // then
    expect(await stored(spike!.id)).toEqual({ meter: null, event_type: 'api_call' });
    expect(await stored(drop!.id)).toEqual({ meter: null, event_type: 'e'.repeat(256) });
    expect(await stored(failed!.id)).toEqual({ meter: 'bytes', event_type: null });
    expect(await stored(budget!.id)).toEqual({ meter: null, event_type: null });
  });

  it('refuses a spike with a meter or without an event type, and an event type on another kind', async () => {
    const insert = (kind: string, meter: string | null, eventType: string | null, level: number | null = null) =>
      db.query(
        `INSERT INTO alerts (tenant_id, meter, event_type, kind, severity, window_start, window_end, level, observed, message)
         VALUES ($1, $2, $3, $4, 'warning', '2026-04-01T12:00:00Z', '2026-04-01T12:05:00Z', $5, 1, 'm')`,
        [tenantId, meter, eventType, kind, level],
      );
    await expect(insert('usage_spike', 'api_call', 'api_call')).rejects.toThrow(/alerts_event_type_of_kind/);
    await expect(insert('usage_drop', null, null)).rejects.toThrow(/alerts_event_type_of_kind/);
    await expect(insert('billing_failed', 'bytes', 'api_call')).rejects.toThrow(/alerts_event_type_of_kind/);
    await expect(insert('usage_spike', null, `${'e'.repeat(256)}e`)).rejects.toThrow(/check constraint/);
    await expect(insert('usage_spike', null, 'api_call')).resolves.toEqual([]);
  });

  it('dedups spikes by event type: the same one again is one alert, another event type in the same window is its own', async () => {
    const insert = (eventType: string) =>
      db.query(
        `INSERT INTO alerts (tenant_id, event_type, kind, severity, window_start, window_end, observed, message)
         VALUES ($1, $2, 'usage_spike', 'warning', '2026-05-01T12:00:00Z', '2026-05-01T12:05:00Z', 1, 'm')
         ON CONFLICT DO NOTHING RETURNING id`,
        [tenantId, eventType],
      );
    expect(await insert('a')).toHaveLength(1);
    expect(await insert('a')).toHaveLength(0);
    expect(await insert('b')).toHaveLength(1);
  });
});
