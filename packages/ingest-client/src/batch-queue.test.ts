import { describe, expect, it } from 'vitest';
import { BatchQueue, batchBody, batchBytes, fitsAlone, type QueuedEvent } from './batch-queue.ts';

let seq = 0;
const ev = (id: string, pad = 0): QueuedEvent => {
  const json = JSON.stringify({ id, type: 't', data: { pad: 'x'.repeat(pad) } });
  return { seq: ++seq, id, type: 't', json, bytes: Buffer.byteLength(json), enqueuedAt: 0 };
};
const ids = (events: QueuedEvent[]) => events.map((e) => e.id);

describe('batchBody / batchBytes', () => {
  it('counts exactly the bytes of the body it builds, multi-byte characters included', () => {
    for (const events of [[], [ev('a')], [ev('a'), ev('ü€😀', 3), ev('c', 100)]]) {
      expect(batchBytes(events)).toBe(Buffer.byteLength(batchBody(events)));
    }
    expect(JSON.parse(batchBody([ev('a'), ev('b')]))).toEqual({
      events: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })],
    });
  });
});

describe('BatchQueue.take', () => {
  it('cuts by event count', () => {
    const q = new BatchQueue();
    for (let i = 0; i < 7; i++) q.push(ev(`e${i}`));
    const limits = { maxEvents: 3, maxBytes: 1_000_000 };
    expect(q.hasFullBatch(limits)).toBe(true);
    expect(ids(q.take(limits))).toEqual(['e0', 'e1', 'e2']);
    expect(ids(q.take(limits))).toEqual(['e3', 'e4', 'e5']);
    expect(q.hasFullBatch(limits)).toBe(false);
    expect(ids(q.take(limits))).toEqual(['e6']);
    expect(q.length).toBe(0);
    expect(q.take(limits)).toEqual([]);
  });

  it('cuts by bytes: no body exceeds maxBytes, and a batch is as full as the next event allows', () => {
    const q = new BatchQueue();
    const events = Array.from({ length: 40 }, (_, i) => ev(`b${i}`, (i * 37) % 200));
    for (const e of events) q.push(e);
    const limits = { maxEvents: 1_000, maxBytes: 1_024 };
    const batches: QueuedEvent[][] = [];
    while (q.length > 0) batches.push(q.take(limits));
    expect(batches.flat().map((e) => e.id)).toEqual(ids(events)); // order kept, nothing lost or repeated
    for (const [i, b] of batches.entries()) {
      expect(batchBytes(b)).toBeLessThanOrEqual(1_024);
      const next = batches[i + 1]?.[0];
      if (next) expect(batchBytes([...b, next])).toBeGreaterThan(1_024);
    }
  });

  it('says a full batch waits once the bytes reach the limit, before the count does', () => {
    const q = new BatchQueue();
    const limits = { maxEvents: 1_000, maxBytes: 600 };
    while (!q.hasFullBatch(limits)) q.push(ev(`f${q.length}`, 50));
    expect(q.length).toBeLessThan(10);
    expect(batchBytes(q.take({ maxEvents: 1_000, maxBytes: 1e9 }))).toBeGreaterThanOrEqual(600);
  });

  it('puts events back at the front, ahead of newer ones', () => {
    const q = new BatchQueue();
    for (const id of ['a', 'b', 'c', 'd']) q.push(ev(id));
    const first = q.take({ maxEvents: 2, maxBytes: 1e6 });
    q.unshift(first);
    expect(ids(q.take({ maxEvents: 10, maxBytes: 1e6 }))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps its order over many takes (compaction)', () => {
    const q = new BatchQueue();
    const all = Array.from({ length: 5_000 }, (_, i) => ev(`m${i}`));
    const out: string[] = [];
    for (const [i, e] of all.entries()) {
      q.push(e);
      if (i % 3 === 0) out.push(...ids(q.take({ maxEvents: 2, maxBytes: 1e6 })));
    }
    while (q.length) out.push(...ids(q.take({ maxEvents: 7, maxBytes: 1e6 })));
    expect(out).toEqual(ids(all));
  });

  it('knows when one event could never be sent', () => {
    const big = ev('big', 2_000);
    expect(fitsAlone(big.bytes, { maxEvents: 10, maxBytes: 1_024 })).toBe(false);
    expect(fitsAlone(big.bytes, { maxEvents: 10, maxBytes: batchBytes([big]) })).toBe(true);
  });
});
