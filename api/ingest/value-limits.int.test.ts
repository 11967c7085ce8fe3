import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { Decimal } from '../../domain/money/index.ts';

// Metered values at ingest: |value| < 10^15 with at most 12 decimals, and no negative value
// unless every meter that counts it allows negatives (allowNegative, set by an admin).

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const key = () => ({ 'X-API-Key': api.apiKeys.a });

const LARGEST = '999999999999999.999999999999';
const TIME = '2026-10-05T10:00:00Z';
const WINDOW = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };

const meters = {
  bytes: { code: 'bytes', name: 'Bytes', eventType: 'transfer', aggregation: 'sum', valueProperty: 'bytes' },
  // Two meters read credit.delta: the net balance counts refunds (negative), gross counts purchases only.
  creditsNet: {
    code: 'credits_net',
    name: 'Credits, net',
    eventType: 'credit',
    aggregation: 'sum',
    valueProperty: 'delta',
    allowNegative: true,
  },
  creditsGross: {
    code: 'credits_gross',
    name: 'Credits bought',
    eventType: 'credit',
    aggregation: 'sum',
    valueProperty: 'delta',
    filters: { kind: ['purchase'] },
  },
  peak: { code: 'peak_seats', name: 'Peak seats', eventType: 'seats', aggregation: 'max', valueProperty: 'seats' },
  temperature: {
    code: 'temperature',
    name: 'Temperature',
    eventType: 'reading',
    aggregation: 'latest',
    valueProperty: 'celsius',
    allowNegative: true,
  },
};

async function rowsOfIdPrefix(prefix: string): Promise<number> {
  const rs = await ch.client.query({
    query: 'SELECT count() AS n FROM usage_events WHERE startsWith(event_id, {p:String})',
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

const ingest = (events: object[]) => api.request.post('/api/usage/ingest').set(key()).send(events);

async function summaryOf(meter: string): Promise<string> {
  const res = await api.request
    .get('/api/usage/summary')
    .set(key())
    .query({ ...WINDOW, meter });
  expect(res.status).toBe(200);
  return res.body.items[0].value;
}

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  for (const m of Object.values(meters)) {
    const res = await api.request.post('/api/meters').set(auth(api.tokens.admin)).send(m);
    expect(res.status).toBe(201);
  }
});
afterAll(async () => Promise.all([db?.drop(), ch?.dispose()]));

describe('value limits at ingest', () => {
  it('accepts the largest allowed value, 10,000 times in one request, and sums it exactly', async () => {
    const one = await ingest([{ id: 'max-1', type: 'transfer', time: TIME, data: { bytes: LARGEST } }]);
    expect(one.status).toBe(202);
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      id: `max-batch-${i}`,
      type: 'transfer',
      time: TIME,
      data: { bytes: LARGEST },
    }));
    expect((await ingest(batch)).status).toBe(202);
    // 10,001 × (10^15 − 10^-12): 20 integer digits, far inside an invoice line's 30.
    expect(await summaryOf('bytes')).toBe(new Decimal(LARGEST).times(10_001).toFixed());
  });

  it.each([
    ['10^15', '1000000000000000', 'must have at most 15 digits before the decimal point (|value| < 10^15) (meter bytes, sum)'],
    ['10^15 as a JSON number', 1e15, 'must have at most 15 digits before the decimal point (|value| < 10^15) (meter bytes, sum)'],
    [
      'a 26-digit value (the old limit)',
      '99999999999999999999999999',
      'must have at most 15 digits before the decimal point (|value| < 10^15) (meter bytes, sum)',
    ],
    ['13 decimals', '0.0000000000001', 'must have at most 12 digits after the decimal point (meter bytes, sum)'],
  ])('refuses %s with 400 naming events[i].data.<path>, and writes nothing of the request', async (_name, value, message) => {
    const prefix = `over-${String(value).length}-${typeof value}-`;
    const res = await ingest([
      { id: `${prefix}0`, type: 'transfer', time: TIME, data: { bytes: 1 } },
      { id: `${prefix}1`, type: 'transfer', time: TIME, data: { bytes: value } },
    ]);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expectResponseMatchesSpec('POST', '/api/usage/ingest', res);
    expect(res.body.errors).toEqual([{ index: 1, field: 'events[1].data.bytes', message }]);
    expect(await rowsOfIdPrefix(prefix)).toBe(0);
  });
});

describe('negative values', () => {
  it('are refused on a sum meter that does not allow them: 400 naming the field, nothing written', async () => {
    const before = await summaryOf('bytes');
    const res = await ingest([
      { id: 'neg-bytes-0', type: 'transfer', time: TIME, data: { bytes: 5 } },
      { id: 'neg-bytes-1', type: 'transfer', time: TIME, data: { bytes: '-0.000000000001' } },
      { id: 'neg-bytes-2', type: 'transfer', time: TIME, data: { bytes: -1e14 } },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { index: 1, field: 'events[1].data.bytes', message: 'must not be negative (meter bytes, sum)' },
      { index: 2, field: 'events[2].data.bytes', message: 'must not be negative (meter bytes, sum)' },
    ]);
    expect(await rowsOfIdPrefix('neg-bytes-')).toBe(0);
    expect(await summaryOf('bytes')).toBe(before);
  });

  it('are refused on max meters too, and zero with a sign is not negative', async () => {
    const res = await ingest([{ id: 'neg-peak-1', type: 'seats', time: TIME, data: { seats: -3 } }]);
    expect([res.status, res.body.errors]).toEqual([
      400,
      [{ index: 0, field: 'events[0].data.seats', message: 'must not be negative (meter peak_seats, max)' }],
    ]);
    expect((await ingest([{ id: 'neg-peak-2', type: 'seats', time: TIME, data: { seats: '-0.00' } }])).status).toBe(202);
    expect(await rowsOfIdPrefix('neg-peak-')).toBe(1);
  });

  it('are accepted on an allowNegative meter: 202, and the summary goes down', async () => {
    expect((await ingest([{ id: 'net-1', type: 'credit', time: TIME, data: { delta: '100.5', kind: 'purchase' } }])).status).toBe(202);
    expect(await summaryOf('credits_net')).toBe('100.5');
    // A refund: credits_gross reads the same property, but its filter leaves refunds out.
    expect((await ingest([{ id: 'net-2', type: 'credit', time: TIME, data: { delta: '-40.25', kind: 'refund' } }])).status).toBe(202);
    expect(await summaryOf('credits_net')).toBe('60.25');
    expect(await summaryOf('credits_gross')).toBe('100.5');
    // A latest meter that allows negatives reports a negative reading as it is.
    expect((await ingest([{ id: 'temp-1', type: 'reading', time: TIME, data: { celsius: '-12.5' } }])).status).toBe(202);
    expect(await summaryOf('temperature')).toBe('-12.5');
    // The most negative value allowed.
    expect((await ingest([{ id: 'net-3', type: 'credit', time: TIME, data: { delta: `-${LARGEST}`, kind: 'refund' } }])).status).toBe(202);
    expect((await ingest([{ id: 'net-4', type: 'credit', time: TIME, data: { delta: '-1000000000000000', kind: 'refund' } }])).status).toBe(
      400,
    );
  });

  it('an event read by two meters is refused unless every meter that counts it allows negatives', async () => {
    // kind purchase: both credits_net (allows) and credits_gross (does not) count it.
    const res = await ingest([{ id: 'both-1', type: 'credit', time: TIME, data: { delta: -1, kind: 'purchase' } }]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { index: 0, field: 'events[0].data.delta', message: 'must not be negative (meter credits_gross, sum)' },
    ]);
    expect(await rowsOfIdPrefix('both-')).toBe(0);
  });
});

describe('allowNegative on meters', () => {
  const refunds = {
    code: 'refunds',
    name: 'Refunds',
    eventType: 'refund',
    aggregation: 'sum',
    valueProperty: 'amount',
    allowNegative: true,
  };

  it('only an admin sets it: finance, customers and API keys get 403 and no meter is created', async () => {
    for (const headers of [auth(api.tokens.finance), auth(api.tokens.customerA), key()]) {
      const res = await api.request.post('/api/meters').set(headers).send(refunds);
      expect(res.status).toBe(403);
    }
    expect((await api.request.get('/api/meters/refunds').set(auth(api.tokens.admin))).status).toBe(404);
    const created = await api.request.post('/api/meters').set(auth(api.tokens.admin)).send(refunds);
    expect(created.status).toBe(201);
    expectResponseMatchesSpec('POST', '/api/meters', created);
    expect(created.body).toMatchObject({ code: 'refunds', allowNegative: true });
    const read = await api.request.get('/api/meters/bytes').set(auth(api.tokens.customerA));
    expect(read.body.allowNegative).toBe(false);
  });

  it.each([
    [
      'a count meter',
      { code: 'neg_count', name: 'N', eventType: 'n', aggregation: 'count', allowNegative: true },
      'is only for sum, max, latest, which read numbers',
    ],
    [
      'a unique_count meter',
      { code: 'neg_users', name: 'N', eventType: 'n', aggregation: 'unique_count', valueProperty: 'user', allowNegative: true },
      'is only for sum, max, latest, which read numbers',
    ],
    ['a non-boolean', { ...refunds, code: 'neg_text', allowNegative: 'true' }, 'must be true or false'],
  ])('refuses it on %s with 400 naming allowNegative', async (_name, body, message) => {
    const res = await api.request.post('/api/meters').set(auth(api.tokens.admin)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'allowNegative', message }]);
  });
});
