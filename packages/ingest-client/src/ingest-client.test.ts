import { describe, expect, it, vi } from 'vitest';
import { IngestClient, type IngestClientOptions } from './ingest-client.ts';
import type { EventOutcome } from './outcome.ts';

// The client over a scripted transport: each request's body is recorded and answered by
// `answer`. The real API and a real HTTP receiver are in test/ingest-client/.
type Sent = { events: { id: string; type: string; time: string; data?: Record<string, unknown> }[] };
function scripted(answer: (body: Sent, n: number) => Response | Promise<Response>) {
  const requests: Sent[] = [];
  const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(init!.body as string) as Sent;
    requests.push(body);
    return answer(body, requests.length);
  }) as typeof globalThis.fetch;
  return { requests, fetch };
}
const accepted = (body: Sent) => Response.json({ accepted: body.events.length, warnings: [] }, { status: 202 });
const problem = (status: number, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 't', status, detail: 'd', ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
const client = (fetch: typeof globalThis.fetch, opts: Partial<IngestClientOptions> = {}) =>
  new IngestClient({ url: 'http://meterplane.invalid/', apiKey: 'mp_live_x', fetch, baseDelayMs: 1, maxDelayMs: 5, ...opts });
const ids = (s: Sent) => s.events.map((e) => e.id);

describe('IngestClient batching', () => {
  it('sends a batch as soon as it holds maxBatchEvents, and the rest on flush()', async () => {
    const t = scripted(accepted);
    const c = client(t.fetch, { maxBatchEvents: 3, flushIntervalMs: 60_000 });
    const outcomes = Array.from({ length: 7 }, (_, i) => c.track({ id: `e${i}`, type: 'api_call' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.requests.map(ids)).toEqual([
      ['e0', 'e1', 'e2'],
      ['e3', 'e4', 'e5'],
    ]);
    await c.flush();
    expect(t.requests.map(ids)[2]).toEqual(['e6']);
    expect((await Promise.all(outcomes)).every((o) => o.sent)).toBe(true);
    await c.close();
  });

  it('sends by bytes: no body exceeds maxBatchBytes', async () => {
    const bodies: number[] = [];
    const t = scripted((body) => accepted(body));
    const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      bodies.push(Buffer.byteLength(init!.body as string));
      return t.fetch(url, init);
    }) as typeof globalThis.fetch;
    const c = client(fetch, { maxBatchBytes: 4_096, flushIntervalMs: 60_000 });
    const all = Array.from({ length: 100 }, (_, i) => c.track({ type: 'x', data: { pad: 'y'.repeat(200 + i) } }));
    await c.close();
    expect((await Promise.all(all)).every((o) => o.sent)).toBe(true);
    expect(bodies.length).toBeGreaterThan(5);
    for (const b of bodies) expect(b).toBeLessThanOrEqual(4_096);
    expect(t.requests.flatMap(ids).length).toBe(100);
  });

  it('sends a lone event once the flush interval has passed, not before', async () => {
    const t = scripted(accepted);
    const c = client(t.fetch, { flushIntervalMs: 150 });
    const started = Date.now();
    const outcome = c.track({ type: 'x' });
    await new Promise((r) => setTimeout(r, 60));
    expect(t.requests.length).toBe(0);
    expect((await outcome).sent).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await c.close();
  });

  it('does not spin on timers while every request slot is busy and events are overdue', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = scripted(async (body) => {
      await gate;
      return accepted(body);
    });
    const c = client(t.fetch, { maxBatchEvents: 1, concurrency: 1, flushIntervalMs: 0 });
    const outcomes = [c.track({ type: 'x' }), c.track({ type: 'x' }), c.track({ type: 'x' })];
    const timers = vi.spyOn(globalThis, 'setTimeout');
    await new Promise((r) => setTimeout(r, 100));
    expect(timers.mock.calls.length).toBeLessThan(10); // a spinning timer fires every millisecond: about 100
    timers.mockRestore();
    release();
    await c.close();
    expect((await Promise.all(outcomes)).every((o) => o.sent)).toBe(true);
    expect(t.requests.length).toBe(3);
  });

  it('refuses an event no batch could carry, and one that is not JSON, without sending anything', async () => {
    const t = scripted(accepted);
    const c = client(t.fetch, { maxBatchBytes: 1_024 });
    expect(await c.track({ type: 'x', data: { pad: 'z'.repeat(2_000) } })).toMatchObject({ sent: false, reason: 'invalid' });
    expect(await c.track({ type: 'x', data: { n: 1n } })).toMatchObject({ sent: false, reason: 'invalid' });
    await c.close();
    expect(t.requests.length).toBe(0);
  });

  it('refuses options beyond the API limits', () => {
    const t = scripted(accepted);
    expect(() => client(t.fetch, { maxBatchEvents: 10_001 })).toThrow(/maxBatchEvents/);
    expect(() => client(t.fetch, { maxBatchBytes: 5 * 1024 * 1024 + 1 })).toThrow(/maxBatchBytes/);
  });
});

describe('IngestClient ids', () => {
  it('assigns a UUIDv7 and a time at enqueue, keeps a given id, and sends the same ones on every retry', async () => {
    const t = scripted((body, n) => (n < 3 ? problem(503, {}, { 'retry-after': '0' }) : accepted(body)));
    const c = client(t.fetch);
    const before = Date.now();
    const generated = c.track({ type: 'x' });
    const given = c.track({ id: 'mine', type: 'x' });
    await c.flush();
    const [a, b] = await Promise.all([generated, given]);
    expect(a).toMatchObject({ sent: true, attempts: 3 });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).toMatchObject({ id: 'mine', sent: true });
    expect(t.requests.length).toBe(3);
    expect(t.requests[1]).toEqual(t.requests[0]);
    expect(t.requests[2]).toEqual(t.requests[0]);
    expect(ids(t.requests[0]!)).toEqual([a.id, 'mine']);
    expect(Date.parse(t.requests[0]!.events[0]!.time)).toBeGreaterThanOrEqual(before - 1);
    await c.close();
  });
});

describe('IngestClient answers', () => {
  it('400: refuses the events it names with their errors, and sends the others again without them', async () => {
    const t = scripted((body) => {
      const bad = body.events.findIndex((e) => e.data?.bad);
      return bad < 0 ? accepted(body) : problem(400, { errors: [{ index: bad, field: `events[${bad}].data.bad`, message: 'is bad' }] });
    });
    const c = client(t.fetch);
    const outcomes = [
      c.track({ id: 'a', type: 'x' }),
      c.track({ id: 'b', type: 'x', data: { bad: true } }),
      c.track({ id: 'c', type: 'x' }),
    ];
    await c.close();
    expect(await Promise.all(outcomes)).toEqual([
      expect.objectContaining({ id: 'a', sent: true }),
      expect.objectContaining({ id: 'b', sent: false, reason: 'refused', status: 400, errors: [{ field: 'data.bad', message: 'is bad' }] }),
      expect.objectContaining({ id: 'c', sent: true }),
    ]);
    expect(t.requests.map(ids)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'c'],
    ]);
  });

  it.each([401, 403, 404, 415])('%d is final: never retried', async (status) => {
    const t = scripted(() => problem(status));
    const c = client(t.fetch);
    const outcome = c.track({ type: 'x' });
    await c.close();
    expect(await outcome).toMatchObject({ sent: false, reason: 'refused', status, attempts: 1 });
    expect(t.requests.length).toBe(1);
  });

  it('413: halves the batch until each half fits', async () => {
    const t = scripted((body) => (body.events.length > 2 ? problem(413) : accepted(body)));
    const c = client(t.fetch);
    const outcomes = Array.from({ length: 5 }, (_, i) => c.track({ id: `s${i}`, type: 'x' }));
    await c.close();
    expect((await Promise.all(outcomes)).every((o) => o.sent)).toBe(true);
    expect(
      t.requests
        .filter((r) => r.events.length <= 2)
        .flatMap(ids)
        .sort(),
    ).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('gives up after maxAttempts network errors, and says so per event', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof globalThis.fetch;
    const outcomes: EventOutcome[] = [];
    const c = client(fetch, { maxAttempts: 4, onOutcome: (o) => outcomes.push(o) });
    const outcome = c.track({ id: 'lost', type: 'x' });
    await c.close();
    expect(await outcome).toEqual({
      id: 'lost',
      sent: false,
      reason: 'gave_up',
      attempts: 4,
      error: 'TypeError: fetch failed (ECONNREFUSED)',
    });
    expect(calls).toBe(4);
    expect(outcomes).toEqual([await outcome]);
  });

  it('gives up rather than wait past maxRetryMs when Retry-After asks for longer', async () => {
    const t = scripted(() => problem(429, {}, { 'retry-after': '3600' }));
    const c = client(t.fetch, { maxRetryMs: 1_000 });
    const outcome = c.track({ type: 'x' });
    await c.close();
    expect(await outcome).toMatchObject({ sent: false, reason: 'gave_up', attempts: 1 });
  });

  it('reports the warnings of a 202 per event and to onWarning', async () => {
    const warning = { type: 'new_type', message: 'no meter uses event type "new_type"' };
    const t = scripted((body) => Response.json({ accepted: body.events.length, warnings: [warning] }, { status: 202 }));
    const seen: unknown[] = [];
    const c = client(t.fetch, { onWarning: (w) => seen.push(w) });
    const [metered, unmetered] = [c.track({ type: 'llm' }), c.track({ type: 'new_type' })];
    await c.close();
    expect(await metered).toMatchObject({ sent: true, warnings: [] });
    expect(await unmetered).toMatchObject({ sent: true, warnings: [warning] });
    expect(seen).toEqual([warning]);
  });
});

describe('IngestClient queue bound and shutdown', () => {
  it('answers queue_full past maxQueuedEvents (nothing is dropped unsaid), and waitForRoom() resolves when one settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = scripted(async (body) => {
      await gate;
      return accepted(body);
    });
    const c = client(t.fetch, { maxQueuedEvents: 2, flushIntervalMs: 0 });
    const first = [c.track({ type: 'x' }), c.track({ type: 'x' })];
    expect(await c.track({ id: 'third', type: 'x' })).toEqual({ id: 'third', sent: false, reason: 'queue_full' });
    let roomy = false;
    const room = c.waitForRoom().then(() => (roomy = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(roomy).toBe(false);
    release();
    await room;
    expect((await Promise.all(first)).every((o) => o.sent)).toBe(true);
    await c.close();
  });

  it('close() sends what waits, then refuses new events as closed', async () => {
    const t = scripted(accepted);
    const c = client(t.fetch, { flushIntervalMs: 60_000 });
    const waiting = c.track({ type: 'x' });
    await c.close();
    expect((await waiting).sent).toBe(true);
    expect(await c.track({ id: 'late', type: 'x' })).toEqual({ id: 'late', sent: false, reason: 'closed' });
    expect(c.pending).toBe(0);
  });
});
