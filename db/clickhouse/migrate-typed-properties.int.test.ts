import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouse } from './client.ts';
import { migrateClickHouse, statementsOf } from './migrate.ts';
import { readMeterUsage } from './usage-reader.ts';
import { writeDeliveries, type TenantDelivery } from '../../test/harness/clickhouse.ts';
import { clickhouseMicroTime, clickhouseTime } from './time.ts';
import { aggregateUsage, parseJsonLossless, parseMeter, type Meter } from '../../domain/metering/index.ts';

// Migration 0005 and the typed columns it adds: reads look values, filters and groups up in
// data_texts / data_numbers / data_objects instead of parsing data. On hostile payloads, rows
// stored before the migration (computed from data on read, then stored by MATERIALIZE COLUMN)
// and rows written after it must all read as domain/metering's reference says.

const MIGRATIONS = join(import.meta.dirname, 'migrations');
const T = '00000000-0000-4000-8000-00000000000c';
const JAN = { from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 1, 1)) };
const DEEP = 'a.b.c.d.e.f.g.h';

// Each payload attacks one rule; the value path is u.v, the filter and group property tag.
const PAYLOADS = [
  '{"u":{"v":"99999999999999999999999999.999999999999"},"tag":"eu"}', // the largest value storage holds (26 + 12 digits)
  '{"u":{"v":999999999999999.999999999999},"tag":"eu"}', // the largest ingest accepts, as a JSON number
  '{"u":{"v":"0.000000000001"},"tag":"eu"}', // the most decimals
  '{"u":{"v":"0.0000000000001"},"tag":"eu"}', // one decimal too many: skipped
  '{"u":{"v":"100000000000000000000000000"},"tag":"eu"}', // 27 integer digits: skipped
  '{"u":{"v":"12abc"},"tag":"us"}',
  '{"u":{"v":""},"tag":"us"}',
  '{"u":{"v":"1e3"},"tag":"us"}',
  '{"u":{"v":" 7"},"tag":"us"}',
  '{"u":{"v":"+7"},"tag":"us"}',
  '{"u":{"v":"007"},"tag":"us"}', // leading zeros: 7
  '{"u":{"v":null},"tag":"eu"}',
  '{"u":{},"tag":"eu"}', // the property missing
  '{"tag":"eu"}', // its parent missing
  '{"u":"flat","tag":"eu"}', // the parent is not an object
  '{"u":{"v":true},"tag":true}', // booleans
  '{"u":{"v":false},"tag":"true"}', // the text "true" equals the boolean's text
  '{"u":{"v":[1,2]},"tag":[1,2]}', // arrays
  '{"u":{"v":{"w":1}},"tag":{"x":"y"}}', // an object where a value is read
  '{"u.v":1000,"tag":"eu"}', // a key with a dot is not the path u.v
  '{"u":{"v":2,"v.w":50},"u.v":1000,"tag":"eu"}', // both spellings at once: only the nested one counts
  '{"u":{"v\\"":30,"v":3},"ta\\"g":"x","tag":"é\\n\\"q"}', // keys and strings with quotes, escapes, unicode
  '{"u":{"v":"-5"},"tag":"eu"}', // negative: only for meters that allow it
  '{"u":{"v":-0.000},"tag":"eu"}', // zero, not negative
  '{"u":{"v":"-0"},"tag":"eu"}',
  '{"u":{"v":12345678901234567890.123456789012},"tag":"us"}', // beyond a double
  `{"u":{"v":4},"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":"deep","i":{"j":1}}}}}}}},"tag":"eu"}`, // the deepest path a meter can name
  '{"u":{"v":5},"tag":"5"}',
  '{"u":{"v":"5"},"tag":5}', // the same text from a string and a number
];

const meter = (aggregation: string, extra: Record<string, unknown> = {}): Meter =>
  parseMeter({
    code: `m_${aggregation}`,
    name: 'M',
    eventType: 'llm',
    aggregation,
    groupBy: ['tag', 'u', DEEP],
    ...(aggregation === 'count' ? {} : { valueProperty: 'u.v' }),
    ...extra,
  });

const METERS: Meter[] = [
  meter('count'),
  meter('sum'),
  meter('sum', { allowNegative: true }),
  meter('max'),
  meter('max', { allowNegative: true }),
  meter('latest'),
  meter('latest', { allowNegative: true }),
  meter('unique_count'),
  meter('unique_count', { valueProperty: 'tag' }),
  meter('unique_count', { valueProperty: 'u' }),
  meter('count', { filters: { tag: ['eu', 'true', 'é\n"q', '[1,2]', '{"x":"y"}', '5'] } }),
  meter('sum', { filters: { tag: ['us', true] } }),
  meter('sum', { filters: { [DEEP]: ['deep'] } }),
  meter('count', { filters: { 'a.b.c.d.e.f.g': ['{"h":"deep","i":{"j":1}}'] } }),
];

let dir: string;
let ch: ClickHouse;
const old: TenantDelivery[] = [];
const later: TenantDelivery[] = [];

const deliveriesOf = (payloads: readonly string[], prefix: string, from: number): TenantDelivery[] =>
  payloads.map((text, i) => ({
    tenantId: T,
    id: `${prefix}-${i}`,
    type: 'llm',
    timeMs: Date.UTC(2026, 0, 2) + (from + i) * 60_000,
    ingestedAt: BigInt(from + i + 1),
    data: parseJsonLossless(text) as Record<string, unknown>,
  }));

async function expectReference(deliveries: readonly TenantDelivery[]) {
  for (const m of METERS) {
    const groupBy = m.groupBy;
    const got = await readMeterUsage(ch.client, { tenantId: T, meter: m, ...JAN, groupBy });
    const want = aggregateUsage(m, deliveries, { fromMs: JAN.from.getTime(), toMs: JAN.to.getTime() }, groupBy);
    // Groups compared as a set: ClickHouse orders keys by their raw bytes, the reference by their
    // JSON text, which differ for keys holding quotes (an ordering, not a value, question).
    const bySet = (groups: typeof want.groups) => [...(groups ?? [])].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect({ meter: m, value: got.value, events: got.events, groups: bySet(got.groups) }).toEqual({
      meter: m,
      value: want.value,
      events: want.events,
      groups: bySet(want.groups),
    });
  }
}

async function storedColumns(): Promise<string[]> {
  const rs = await ch.client.query({
    query: `SELECT DISTINCT column FROM system.parts_columns WHERE active AND table = 'usage_events' AND startsWith(column, 'data_') ORDER BY column`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ column: string }>()).map((r) => r.column);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meterplane-typed-migration-'));
  const before = join(dir, 'migrations-before');
  await cp(MIGRATIONS, before, { recursive: true, filter: (src) => !/0005_/.test(src) });
  ch = await connectClickHouse({ kind: 'embedded', path: join(dir, 'ch') });
  await migrateClickHouse(ch.client, before);
  // Rows as ingest stored them before the migration: data is the JSON text of the parsed event.
  old.push(...deliveriesOf(PAYLOADS, 'old', 0));
  await ch.client.insert({
    table: 'usage_events',
    format: 'JSONEachRow',
    values: old.map((d) => ({
      tenant_id: T,
      event_id: d.id,
      event_type: d.type,
      event_time: clickhouseTime(d.timeMs),
      subject: '',
      source: 'svc',
      data: JSON.stringify(d.data),
      ingested_at: clickhouseMicroTime(d.timeMs * 1000 + Number(d.ingestedAt)),
    })),
  });
});
afterAll(async () => {
  await ch?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migration 0005: typed properties', () => {
  const statements = async () => statementsOf(await readFile(join(MIGRATIONS, '0005_usage_events_typed_properties.sql'), 'utf8'));

  it('reads rows written before it as the reference, first computing the columns from data, then from what it stored', async () => {
    const all = await statements();
    expect(all).toHaveLength(6);
    // The columns added, not yet stored: old parts compute them from data when read.
    for (const s of all.slice(0, 3)) await ch.client.command({ query: s, clickhouse_settings: { mutations_sync: '2' } });
    expect(await storedColumns()).toEqual([]);
    await expectReference(old);
    // The rest of the migration stores them in the old parts.
    expect(await migrateClickHouse(ch.client)).toEqual(['0005_usage_events_typed_properties']);
    expect(await storedColumns()).toEqual(['data_numbers', 'data_objects', 'data_texts']);
    await expectReference(old);
  });

  it('stores the values exactly: the largest, the most decimals, nothing for what is not a metered number', async () => {
    const rs = await ch.client.query({
      query: `SELECT event_id, mapKeys(data_numbers) AS paths, arrayMap(v -> toString(v), mapValues(data_numbers)) AS numbers, data_objects
              FROM usage_events WHERE event_id IN ('old-0', 'old-2', 'old-3', 'old-15', 'old-20', 'old-26') ORDER BY event_id`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { event_id: 'old-0', paths: ['u.v'], numbers: ['99999999999999999999999999.999999999999'], data_objects: ['u'] },
      { event_id: 'old-15', paths: [], numbers: [], data_objects: ['u'] },
      { event_id: 'old-2', paths: ['u.v'], numbers: ['0.000000000001'], data_objects: ['u'] },
      { event_id: 'old-20', paths: ['u.v'], numbers: ['2'], data_objects: ['u'] },
      {
        event_id: 'old-26',
        paths: ['u.v'],
        numbers: ['4'],
        data_objects: ['u', 'a', 'a.b', 'a.b.c', 'a.b.c.d', 'a.b.c.d.e', 'a.b.c.d.e.f', 'a.b.c.d.e.f.g', 'a.b.c.d.e.f.g.i'],
      },
      { event_id: 'old-3', paths: [], numbers: [], data_objects: ['u'] },
    ]);
  });

  it('computes the same columns for rows the writer stores after it, beside the migrated ones', async () => {
    later.push(...deliveriesOf(PAYLOADS, 'new', PAYLOADS.length));
    await writeDeliveries(ch.client, later);
    await expectReference([...old, ...later]);
  });

  it('can run again: the columns exist and are rewritten with the same values', async () => {
    for (const s of await statements()) await ch.client.command({ query: s, clickhouse_settings: { mutations_sync: '2' } });
    await expectReference([...old, ...later]);
  });
});
