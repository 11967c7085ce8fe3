import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { createAlertActivities, type ScanUsageResult } from '../../activities/alerts/index.ts';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { anomalyEpisodesRepository } from '../../db/postgres/anomaly-episodes-repository.ts';
import { DAY, MINUTE, ingestEvents, runActivity, steadyEvents } from '../harness/alerts.ts';

// An ongoing spike the scanner never saw begin: a week of back-dated usage at about 10 events a
// minute, and the last hour at about 100 a minute, all ingested at once. Judged from the
// previous window, such a spike was never news, and no usage_spike ever appeared.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let scanner: ReturnType<typeof createAlertActivities>;

const FIVE = 5 * MINUTE;
// The scans are for windows that ended half an hour ago and later, so every event is back-dated.
const t0 = Math.floor(Date.now() / FIVE) * FIVE - 30 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();

/** The scan for the window that ends at `windowEnd` (run 30 s after it, as the schedule does). */
const scan = (windowEnd: number): Promise<ScanUsageResult> => runActivity(scanner.scanUsageAnomalies, { at: iso(windowEnd + 30_000) });
const alertsOfA = () => withOperator(db.pool, (tx) => alertsRepository.list(tx, { tenantId: api.tenants.a.id, limit: 100, offset: 0 }));
const episodesOfA = () => withTenant(db.pool, api.tenants.a.id, (tx) => anomalyEpisodesRepository.list(tx, api.tenants.a.id));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  scanner = createAlertActivities({ pg: db.pool, clickhouse: ch.client });
  const a = api.tenants.a.id;
  const rows = [];
  // Given 50 events per 5 minutes around this time of day on each of the previous 7 days ...
  for (let day = 1; day <= 7; day += 1)
    rows.push(...steadyEvents(a, 'api_call', t0 - day * DAY - 2 * 60 * MINUTE, t0 - day * DAY + 30 * MINUTE, 50, `d${day}`));
  // ... the same today until an hour before t0, then 500 per 5 minutes for the last hour ...
  rows.push(
    ...steadyEvents(a, 'api_call', t0 - 2 * 60 * MINUTE, t0 - 60 * MINUTE, 50, 'calm'),
    ...steadyEvents(a, 'api_call', t0 - 60 * MINUTE, t0, 500, 'spike'),
  );
  // ... and after t0, ten normal minutes and then a second spike.
  rows.push(
    ...steadyEvents(a, 'api_call', t0, t0 + 10 * MINUTE, 50, 'after'),
    ...steadyEvents(a, 'api_call', t0 + 10 * MINUTE, t0 + 15 * MINUTE, 500, 'again'),
  );
  // All of it ingested at once, through the real ingest route.
  await ingestEvents(api.request, api.apiKeys.a, rows);
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('anomaly episodes (stored state, one alert per episode)', () => {
  it('a spike already an hour old is alerted by the next scan, once, even by two scans at once', async () => {
    // When two scans of the window ending at t0 run at once (two workers)
    const [x, y] = await Promise.all([scan(t0), scan(t0)]);
    // Then exactly one usage_spike between them, for the window that just ended
    expect([...x.raised, ...y.raised]).toEqual([
      expect.objectContaining({
        tenantId: api.tenants.a.id,
        meter: null,
        eventType: 'api_call',
        kind: 'usage_spike',
        observed: '500',
        expected: '50',
        window: { start: iso(t0 - FIVE), end: iso(t0) },
      }),
    ]);
    expect([x.failed, y.failed]).toEqual([0, 0]);
    const alerts = await alertsOfA();
    expect(alerts.map((al) => al.kind)).toEqual(['usage_spike']);
    // and one open episode, linked to that alert
    expect(await episodesOfA()).toEqual([
      expect.objectContaining({
        kind: 'usage_spike',
        event_type: 'api_call',
        alert_id: alerts[0]!.id,
        opened_window_end: new Date(t0),
        last_seen_window_end: new Date(t0),
        closed_at: null,
      }),
    ]);
  });

  it('scanning the same window again, or a late re-run of an older one, raises nothing more', async () => {
    expect((await scan(t0)).raised).toEqual([]);
    expect((await scan(t0 - FIVE)).raised).toEqual([]);
    expect(await alertsOfA()).toHaveLength(1);
    expect((await episodesOfA())[0]).toMatchObject({ last_seen_window_end: new Date(t0), closed_at: null });
  });

  it('when the count is back to normal the episode closes, and a quiet window after it raises nothing', async () => {
    expect((await scan(t0 + FIVE)).raised).toEqual([]);
    expect(await episodesOfA()).toEqual([
      expect.objectContaining({ kind: 'usage_spike', closed_window_end: new Date(t0 + FIVE), closed_at: expect.any(Date) }),
    ]);
    expect((await scan(t0 + 2 * FIVE)).raised).toEqual([]);
    expect(await alertsOfA()).toHaveLength(1);
  });

  it('a new spike later is a new episode and raises a second alert', async () => {
    const next = await scan(t0 + 3 * FIVE);
    expect(next.raised).toEqual([
      expect.objectContaining({ kind: 'usage_spike', observed: '500', window: { start: iso(t0 + 2 * FIVE), end: iso(t0 + 3 * FIVE) } }),
    ]);
    expect((await alertsOfA()).map((al) => al.kind)).toEqual(['usage_spike', 'usage_spike']);
    const episodes = await episodesOfA();
    expect(episodes.map((e) => [e.opened_window_end, e.closed_window_end])).toEqual([
      [new Date(t0 + 3 * FIVE), null],
      [new Date(t0), new Date(t0 + FIVE)],
    ]);
    expect(episodes[0]!.alert_id).toBe(next.raised[0]!.id);
  });
});
