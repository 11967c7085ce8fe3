import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckIntegrityConstraintViolationError, sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { ALERT_RULE_LIMITS as L, MAX_ALERT_EVENT_TYPE_LENGTH } from '../../domain/anomaly/index.ts';
import { MAX_TYPE_LENGTH } from '../../domain/metering/index.ts';
import { withOperator, withTenant } from './tenant-scope.ts';
import { alertsRepository, type NewRule } from './alerts-repository.ts';
import { anomalyEpisodesRepository } from './anomaly-episodes-repository.ts';

// The limits of domain/anomaly/limits.ts and the CHECK constraints of the alert tables must be
// the same numbers. Each bound is inserted through the repository (it is stored) and one step
// beyond it (the table refuses it), so changing one side alone fails here.

let db: TestDatabase;
let tenantId: string;
let scope = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  tenantId = await withOperator(db.pool, (tx) =>
    tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('Limits') RETURNING id`),
  );
});
afterAll(async () => db?.drop());

/** Inserts a rule in its own scope (one rule per scope), inside a transaction that is rolled back. */
async function insertRule(r: Partial<NewRule>) {
  scope += 1;
  const rule: NewRule = {
    tenantId: null,
    meter: `scope-${scope}`,
    sensitivity: null,
    windowMinutes: null,
    minVolume: null,
    budgetLevels: null,
    createdBy: null,
    ...r,
  };
  return withOperator(db.pool, (tx) => alertsRepository.insertRule(tx, rule));
}

const levels = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe('alert tables accept exactly what domain/anomaly/limits.ts allows', () => {
  it('event types: an alert, a rule and an episode take the longest type ingest accepts, and not one character more', async () => {
    expect(MAX_ALERT_EVENT_TYPE_LENGTH).toBe(MAX_TYPE_LENGTH);
    const longest = 'e'.repeat(MAX_ALERT_EVENT_TYPE_LENGTH);
    const tooLong = `${longest}e`;
    const alert = (eventType: string) => ({
      tenantId,
      meter: null,
      eventType,
      kind: 'usage_spike' as const,
      severity: 'warning' as const,
      windowStart: new Date('2026-03-01T12:00:00Z'),
      windowEnd: new Date('2026-03-01T12:05:00Z'),
      observed: '1',
      expected: '0',
      message: 'm',
    });
    expect((await withTenant(db.pool, tenantId, (tx) => alertsRepository.insertIfNew(tx, alert(longest))))?.event_type).toBe(longest);
    await expect(withTenant(db.pool, tenantId, (tx) => alertsRepository.insertIfNew(tx, alert(tooLong)))).rejects.toThrow(
      CheckIntegrityConstraintViolationError,
    );

    expect((await insertRule({ meter: longest, minVolume: 1 })).meter).toBe(longest);
    await expect(insertRule({ meter: tooLong, minVolume: 1 })).rejects.toThrow(CheckIntegrityConstraintViolationError);

    const episode = (eventType: string) => ({
      tenantId,
      eventType,
      kind: 'usage_spike' as const,
      windowEnd: new Date('2026-03-01T12:05:00Z'),
    });
    expect((await withTenant(db.pool, tenantId, (tx) => anomalyEpisodesRepository.openIfNone(tx, episode(longest))))?.event_type).toBe(
      longest,
    );
    await expect(withTenant(db.pool, tenantId, (tx) => anomalyEpisodesRepository.openIfNone(tx, episode(tooLong)))).rejects.toThrow(
      CheckIntegrityConstraintViolationError,
    );
  });

  it.each<[string, Partial<NewRule>, Partial<NewRule>]>([
    ['the largest sensitivity', { sensitivity: String(L.sensitivityMax) }, { sensitivity: `${L.sensitivityMax}.001` }],
    [
      'the smallest sensitivity',
      { sensitivity: (10 ** -L.sensitivityFractionDigits).toFixed(L.sensitivityFractionDigits) },
      { sensitivity: '0' },
    ],
    ['the shortest window', { windowMinutes: L.windowMinutesMin }, { windowMinutes: L.windowMinutesMin - 1 }],
    ['the longest window', { windowMinutes: L.windowMinutesMax }, { windowMinutes: L.windowMinutesMax + 1 }],
    ['the smallest minimum volume', { minVolume: L.minVolumeMin }, { minVolume: L.minVolumeMin - 1 }],
    ['the largest minimum volume', { minVolume: L.minVolumeMax }, { minVolume: L.minVolumeMax + 1 }],
    ['the lowest budget level', { budgetLevels: [L.budgetLevelMin] }, { budgetLevels: [L.budgetLevelMin - 1] }],
    ['the highest budget level', { budgetLevels: [L.budgetLevelMax] }, { budgetLevels: [L.budgetLevelMax + 1] }],
    ['the most budget levels', { budgetLevels: levels(L.budgetLevelsMaxCount) }, { budgetLevels: levels(L.budgetLevelsMaxCount + 1) }],
  ])('%s is stored, one step beyond is refused', async (_name, bound, beyond) => {
    const stored = await insertRule({ tenantId, meter: null, ...bound });
    expect(stored).toBeTruthy();
    await withOperator(db.pool, (tx) => alertsRepository.deleteRule(tx, stored.id));
    await expect(insertRule({ tenantId, meter: null, ...beyond })).rejects.toThrow(CheckIntegrityConstraintViolationError);
  });

  it(`the table would round a sensitivity to ${L.sensitivityFractionDigits} decimal places, which is why the API refuses more`, async () => {
    // numeric(8, 3): 0.0004 becomes 0 (refused by the CHECK) and 8.1236 silently becomes 8.124.
    await expect(insertRule({ sensitivity: '0.0004' })).rejects.toThrow(CheckIntegrityConstraintViolationError);
    expect((await insertRule({ sensitivity: '8.1236' })).sensitivity).toBe('8.124');
  });
});
