/**
 * The events waiting to be sent, oldest first, and the rule that cuts them into request bodies.
 * Pure bookkeeping: no timers, no I/O. The client decides when a batch is due; this decides
 * what goes in it, so that no body breaks the API's limits.
 */

/** The ingest route's own limits (api/ingest/ingest-body.ts): a larger request is a 413. */
export const API_MAX_BODY_BYTES = 5 * 1024 * 1024;
export const API_MAX_EVENTS = 10_000;

export type BatchLimits = { maxEvents: number; maxBytes: number };

/** One event as it waits: serialised once, at enqueue, so later changes by the caller do not leak in. */
export type QueuedEvent = { seq: number; id: string; type: string; json: string; bytes: number; enqueuedAt: number };

const OPEN = '{"events":[';
const CLOSE = ']}';
const FRAME_BYTES = OPEN.length + CLOSE.length;

/** The request body of a batch: `{"events":[…]}`, from the events' own JSON texts. */
export function batchBody(events: readonly QueuedEvent[]): string {
  return `${OPEN}${events.map((e) => e.json).join(',')}${CLOSE}`;
}

/** The size of `batchBody(events)` in bytes, without building it. */
export function batchBytes(events: readonly Pick<QueuedEvent, 'bytes'>[]): number {
  return FRAME_BYTES + events.reduce((sum, e) => sum + e.bytes, 0) + Math.max(0, events.length - 1);
}

/** Whether one event fits a batch of its own; one that does not can never be sent. */
export const fitsAlone = (bytes: number, limits: BatchLimits) => FRAME_BYTES + bytes <= limits.maxBytes;

export class BatchQueue {
  #items: QueuedEvent[] = [];
  #head = 0;
  #bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest waiting event, whose age decides the time trigger. */
  peek(): QueuedEvent | undefined {
    return this.#items[this.#head];
  }

  push(event: QueuedEvent): void {
    this.#items.push(event);
    this.#bytes += event.bytes + 1;
  }

  /** Puts events back at the front, in their order: they go out before anything newer. */
  unshift(events: readonly QueuedEvent[]): void {
    this.#compact();
    this.#items.unshift(...events);
    for (const e of events) this.#bytes += e.bytes + 1;
  }

  /** A whole batch is waiting: as many events as a batch holds, or as many bytes. */
  hasFullBatch(limits: BatchLimits): boolean {
    return this.length >= limits.maxEvents || FRAME_BYTES + this.#bytes - 1 >= limits.maxBytes;
  }

  /**
   * The next batch: events from the front while both limits hold. Always at least one event
   * when any waits (every queued event fits alone: the client refuses the others at enqueue).
   */
  take(limits: BatchLimits): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    let bytes = FRAME_BYTES - 1;
    while (this.length > 0 && batch.length < limits.maxEvents) {
      const next = this.#items[this.#head]!;
      if (batch.length > 0 && bytes + next.bytes + 1 > limits.maxBytes) break;
      bytes += next.bytes + 1;
      batch.push(next);
      this.#items[this.#head] = undefined as unknown as QueuedEvent;
      this.#head++;
      this.#bytes -= next.bytes + 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
    return batch;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}
