import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatcher, IngestUnavailableError, type BatcherOptions, type QueuedRow } from './batcher.ts';
import { createMetrics } from '../metrics/metrics.ts';

const lines = (n: number, tag = 'r') => Array.from({ length: n }, (_, i) => `${tag}${i}`);
/** n rows of one tenant (tenant "t" unless named). */
const rows = (n: number, tag = 'r', tenantId = 't'): QueuedRow[] => lines(n, tag).map((line) => ({ tenantId, line }));

/** A writer whose inserts finish when the test says so. */
function controlledWriter() {
  const calls: { lines: readonly string[]; done: () => void; fail: (e: Error) => void }[] = [];
  const write = (lines: readonly string[]) => new Promise<void>((done, fail) => calls.push({ lines, done, fail }));
  return { write, calls };
}

const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  flushRows: 10,
  flushMs: 50,
  maxQueueRows: 100,
  flushConcurrency: 1,
  ...o,
});
const settled = () => new Promise((r) => setImmediate(r));

afterEach(() => vi.useRealTimers());

describe('createBatcher', () => {
  it('flushes as soon as flushRows rows wait, in one insert, and acknowledges only after it committed', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts());
    let acked = 0;
    const p1 = b.submit(rows(4, 'a')).then(() => acked++);
    const p2 = b.submit(rows(6, 'b')).then(() => acked++);
    await settled();
    expect(w.calls.map((c) => c.lines.length)).toEqual([10]);
    expect(acked).toBe(0);
    w.calls[0]!.done();
    await Promise.all([p1, p2]);
    expect(acked).toBe(2);
  });

  it('flushes a partial batch after flushMs', async () => {
    vi.useFakeTimers();
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushMs: 50 }));
    void b.submit(rows(3));
    await vi.advanceTimersByTimeAsync(49);
    expect(w.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2);
    expect(w.calls.map((c) => c.lines)).toEqual([lines(3)]);
  });

  it('keeps accepting while an insert is slow, and sends what accumulated next', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushRows: 2 }));
    const first = b.submit(rows(2, 'a'));
    await settled();
    const later = [b.submit(rows(1, 'b')), b.submit(rows(1, 'c')), b.submit(rows(1, 'd'))];
    await settled();
    expect(w.calls).toHaveLength(1); // the one slot is busy
    expect(b.queuedRows()).toBe(5);
    w.calls[0]!.done();
    await first;
    await settled();
    expect(w.calls[1]!.lines).toEqual(['b0', 'c0']);
    w.calls[1]!.done();
    await new Promise((r) => setTimeout(r, 60)); // d alone waits for flushMs
    w.calls[2]!.done();
    await Promise.all(later);
  });

  it('never splits a request, even one larger than flushRows', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushRows: 5, maxQueueRows: 1000 }));
    void b.submit(rows(3, 'a'));
    void b.submit(rows(12, 'b'));
    await settled();
    expect(w.calls.map((c) => c.lines.length)).toEqual([3]);
    w.calls[0]!.done();
    await settled();
    expect(w.calls.map((c) => c.lines.length)).toEqual([3, 12]);
  });

  it('refuses with 503-style overload when the queue would pass its bound, never dropping silently', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ maxQueueRows: 10, flushRows: 100 }));
    void b.submit(rows(8));
    // Another tenant, so the refusal is the bound's, not the first tenant's share.
    const refused = b.submit(rows(3, 'o', 'other'));
    await expect(refused).rejects.toBeInstanceOf(IngestUnavailableError);
    await expect(refused).rejects.toMatchObject({ reason: 'overloaded', retryAfterSeconds: 1 });
    expect(b.queuedRows()).toBe(8);
    expect(b.queuedRows('other')).toBe(0);
  });

  it('counts queued rows per tenant until their insert ends, committed or failed', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushRows: 3, maxQueueRows: 100 }));
    const first = b.submit([...rows(2, 'a', 'A'), ...rows(1, 'b', 'B')]);
    const second = b.submit(rows(4, 'c', 'A'));
    await settled();
    expect(w.calls).toHaveLength(1); // the first request is in flight, the second waits
    expect([b.queuedRows('A'), b.queuedRows('B'), b.queuedRows()]).toEqual([6, 1, 7]);
    w.calls[0]!.done();
    await first;
    await settled();
    expect([b.queuedRows('A'), b.queuedRows('B'), b.queuedRows()]).toEqual([4, 0, 4]);
    w.calls[1]!.fail(new Error('disk full'));
    await expect(second).rejects.toMatchObject({ reason: 'storage_error' });
    expect([b.queuedRows('A'), b.queuedRows()]).toEqual([0, 0]);
  });

  it('past half full, refuses the tenant holding more than half (fair_share) while others fill the rest', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ maxQueueRows: 20, flushRows: 1_000, flushMs: 60_000 }));
    // A fills up to half: still its fair share, so one more request of A is admitted.
    void b.submit(rows(10, 'a', 'A'));
    void b.submit(rows(3, 'a2', 'A'));
    // Now 13 of 20 queued, all A's: A is refused, B is not.
    await expect(b.submit(rows(1, 'a3', 'A'))).rejects.toMatchObject({ reason: 'fair_share', retryAfterSeconds: 1 });
    void b.submit(rows(5, 'b', 'B'));
    void b.submit(rows(2, 'b2', 'B'));
    expect([b.queuedRows('A'), b.queuedRows('B'), b.queuedRows()]).toEqual([13, 7, 20]);
    // Full: B (6 of 20 would not fit) hears overloaded, A still hears fair_share.
    await expect(b.submit(rows(1, 'b3', 'B'))).rejects.toMatchObject({ reason: 'overloaded' });
    await expect(b.submit(rows(1, 'a4', 'A'))).rejects.toMatchObject({ reason: 'fair_share' });
    expect(b.queuedRows()).toBe(20);
  });

  it('refuses a request of several tenants whole when any of them is over its share', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ maxQueueRows: 20, flushRows: 1_000, flushMs: 60_000 }));
    void b.submit(rows(11, 'a', 'A'));
    await expect(b.submit([...rows(1, 'b', 'B'), ...rows(1, 'a', 'A')])).rejects.toMatchObject({ reason: 'fair_share' });
    expect([b.queuedRows('A'), b.queuedRows('B'), b.queuedRows()]).toEqual([11, 0, 11]);
  });

  it('answers refusal() before a body is read: full, over share, unknown tenant, stopped', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ maxQueueRows: 10, flushRows: 1_000, flushMs: 60_000 }));
    expect(b.refusal('A')).toBeUndefined();
    void b.submit(rows(6, 'a', 'A'));
    expect(b.refusal('A')?.reason).toBe('fair_share');
    expect(b.refusal('B')).toBeUndefined();
    expect(b.refusal()).toBeUndefined(); // an admin request: its tenants are in the body
    void b.submit(rows(4, 'b', 'B'));
    expect(b.refusal('B')?.reason).toBe('overloaded');
    expect(b.refusal()?.reason).toBe('overloaded');
    void b.stop();
    expect(b.refusal('C')?.reason).toBe('stopped');
  });

  it('rejects every request of a failed insert and counts the failure', async () => {
    const w = controlledWriter();
    const metrics = createMetrics();
    const b = createBatcher(w.write, opts({ flushRows: 2 }), metrics);
    const a = b.submit(rows(1, 'a'));
    const c = b.submit(rows(1, 'c'));
    await settled();
    w.calls[0]!.fail(new Error('disk full'));
    await expect(a).rejects.toMatchObject({ reason: 'storage_error' });
    await expect(c).rejects.toMatchObject({ reason: 'storage_error' });
    expect(await metrics.registry.getSingleMetricAsString('meterplane_ingest_flush_seconds')).toContain('outcome="error"');
    expect(b.queuedRows()).toBe(0);
  });

  it('runs up to flushConcurrency inserts at once', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushRows: 1, flushConcurrency: 2 }));
    for (const tag of ['a', 'b', 'c']) void b.submit(rows(1, tag));
    await settled();
    expect(w.calls).toHaveLength(2);
  });

  it('stop flushes what waits, waits for it, then refuses', async () => {
    const w = controlledWriter();
    const b = createBatcher(w.write, opts({ flushRows: 100, flushMs: 60_000 }));
    const pending = b.submit(rows(2));
    const stopped = b.stop();
    await settled();
    expect(w.calls).toHaveLength(1);
    w.calls[0]!.done();
    await pending;
    await stopped;
    await expect(b.submit(rows(1))).rejects.toMatchObject({ reason: 'stopped' });
  });
});
