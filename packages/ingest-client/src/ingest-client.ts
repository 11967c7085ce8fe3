import type { IngestResult, UsageEvent } from './api-types.ts';
import { API_MAX_BODY_BYTES, API_MAX_EVENTS, BatchQueue, batchBody, fitsAlone, type BatchLimits, type QueuedEvent } from './batch-queue.ts';
import { uuidv7 } from './event-id.ts';
import { blameOf, warningsOf, type ClientWarning, type EventOutcome } from './outcome.ts';
import { retryDelay } from './retry-delay.ts';
import { sendBatch, type Attempt } from './send-batch.ts';

/** An event to track: `id` is optional (a UUIDv7 is assigned at enqueue), and so is `time` (stamped at enqueue). */
export type TrackedEvent = Omit<UsageEvent, 'id' | 'specversion'> & { id?: string; specversion?: string };
/** Anything that serialises to an event, such as a `CloudEvent` of the `cloudevents` SDK. */
export type SerializableEvent = { toJSON(): Record<string, unknown> };

export type IngestClientOptions = {
  /** The server's base URL (`http://127.0.0.1:4000`); events go to `<url>/api/usage/ingest`. */
  url: string;
  /** A tenant API key with the `ingest` scope. */
  apiKey: string;
  /** Events per request, at most the API's 10,000. Default 1,000. */
  maxBatchEvents?: number;
  /** Bytes per request body, at most the API's 5 MiB. Default 1 MiB. */
  maxBatchBytes?: number;
  /** The oldest waiting event is sent at the latest this long after it was tracked. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Events tracked and not yet settled (waiting, in flight or between retries); past it `track()` answers `queue_full`. Default 100,000. */
  maxQueuedEvents?: number;
  /** Requests in flight at once. Default 2. */
  concurrency?: number;
  /** Attempts per batch, the first included. Default 10. */
  maxAttempts?: number;
  /** A batch is given up when its next attempt would start later than this after its first. Default 5 minutes. */
  maxRetryMs?: number;
  /** Backoff: the first ceiling and the largest. Defaults 250 ms and 30 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** One request's time limit; past it the attempt counts as a network error. Default 30 s. */
  requestTimeoutMs?: number;
  /** Called once per event with its final outcome (the same value `track()` resolves with). */
  onOutcome?: (outcome: EventOutcome) => void;
  /** Called once per warning of every acknowledged batch. */
  onWarning?: (warning: ClientWarning) => void;
  /** For tests and custom transports: defaults to the global `fetch`. */
  fetch?: typeof fetch;
  random?: () => number;
};

type Entry = QueuedEvent & { attempts: number; settle: (outcome: EventOutcome) => void; done: Promise<EventOutcome> };

type Settings = Required<Omit<IngestClientOptions, 'onOutcome' | 'onWarning'>> & Pick<IngestClientOptions, 'onOutcome' | 'onWarning'>;

function settingsOf(opts: IngestClientOptions): Settings {
  const s: Settings = {
    maxBatchEvents: 1_000,
    maxBatchBytes: 1024 * 1024,
    flushIntervalMs: 1_000,
    maxQueuedEvents: 100_000,
    concurrency: 2,
    maxAttempts: 10,
    maxRetryMs: 5 * 60_000,
    baseDelayMs: 250,
    maxDelayMs: 30_000,
    requestTimeoutMs: 30_000,
    fetch: globalThis.fetch,
    random: Math.random,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    url: opts.url.replace(/\/+$/, ''),
    apiKey: opts.apiKey,
  };
  const within = (name: keyof Settings, min: number, max: number) => {
    const v = s[name] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  within('maxBatchEvents', 1, API_MAX_EVENTS);
  within('maxBatchBytes', 1024, API_MAX_BODY_BYTES);
  within('flushIntervalMs', 0, 3_600_000);
  within('maxQueuedEvents', 1, Number.MAX_SAFE_INTEGER);
  within('concurrency', 1, 64);
  within('maxAttempts', 1, 1_000);
  return s;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Posts usage events to Meterplane without losing any. `track()` queues an event with its id
 * fixed; batches leave when they are full (events or bytes) or when the oldest event has waited
 * `flushIntervalMs`; a batch that may be retried is sent again with the same ids until the API
 * acknowledges it or the attempts run out. Every event settles exactly once with its outcome.
 */
export class IngestClient {
  readonly #s: Settings;
  readonly #limits: BatchLimits;
  readonly #endpoint: string;
  readonly #queue = new BatchQueue();
  /** Every event tracked and not yet settled: the queue's memory bound counts these. */
  readonly #unsettled = new Set<Entry>();
  #roomWaiters: (() => void)[] = [];
  #seq = 0;
  /** Events with a seq up to this are due now (flush, close). */
  #flushThrough = 0;
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: IngestClientOptions) {
    this.#s = settingsOf(options);
    this.#limits = { maxEvents: this.#s.maxBatchEvents, maxBytes: this.#s.maxBatchBytes };
    this.#endpoint = `${this.#s.url}/api/usage/ingest`;
  }

  /** Events tracked and not yet settled. */
  get pending(): number {
    return this.#unsettled.size;
  }

  /**
   * Queues one event and resolves with its outcome once it has one. Never rejects, so a caller
   * that does not await it loses nothing but the report (use `onOutcome` to keep it).
   */
  track(event: TrackedEvent | SerializableEvent): Promise<EventOutcome> {
    const now = Date.now();
    const raw: Record<string, unknown> =
      typeof (event as SerializableEvent).toJSON === 'function' ? (event as SerializableEvent).toJSON() : { ...event };
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : uuidv7(now);
    // The API stamps a missing time with the moment it receives the event: after a retry that
    // could be another billing period. The moment it was tracked is the truth.
    const normalized = { ...raw, id, time: raw.time ?? new Date(now).toISOString() };
    if (this.#closed) return Promise.resolve(this.#report({ id, sent: false, reason: 'closed' }));
    if (this.#unsettled.size >= this.#s.maxQueuedEvents) return Promise.resolve(this.#report({ id, sent: false, reason: 'queue_full' }));
    let json: string;
    try {
      json = JSON.stringify(normalized);
    } catch (err) {
      return Promise.resolve(this.#report({ id, sent: false, reason: 'invalid', error: `not JSON: ${(err as Error).message}` }));
    }
    const bytes = Buffer.byteLength(json);
    if (!fitsAlone(bytes, this.#limits))
      return Promise.resolve(
        this.#report({ id, sent: false, reason: 'invalid', error: `${bytes} bytes of JSON: larger than a batch may be (maxBatchBytes)` }),
      );
    let settle!: (o: EventOutcome) => void;
    const done = new Promise<EventOutcome>((resolve) => (settle = resolve));
    const entry: Entry = { seq: ++this.#seq, id, type: String(raw.type), json, bytes, enqueuedAt: now, attempts: 0, settle, done };
    this.#unsettled.add(entry);
    this.#queue.push(entry);
    this.#pump();
    return done;
  }

  /** Resolves when `track()` would queue again (fewer than `maxQueuedEvents` unsettled): the producer's back-pressure. */
  waitForRoom(): Promise<void> {
    if (this.#unsettled.size < this.#s.maxQueuedEvents) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Sends everything tracked so far now, and resolves once each of those events has its outcome. */
  async flush(): Promise<void> {
    const waiting = [...this.#unsettled].map((e) => e.done);
    this.#flushThrough = this.#seq;
    this.#pump();
    await Promise.all(waiting);
  }

  /** Refuses new events (`closed`), flushes the rest, and stops the timer. Call it on shutdown. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #due(): boolean {
    const oldest = this.#queue.peek();
    if (!oldest) return false;
    return (
      oldest.seq <= this.#flushThrough ||
      this.#queue.hasFullBatch(this.#limits) ||
      Date.now() - oldest.enqueuedAt >= this.#s.flushIntervalMs
    );
  }

  /** Starts batches while one is due and a request slot is free; otherwise arms the time trigger. */
  #pump(): void {
    while (this.#inFlight < this.#s.concurrency && this.#due()) {
      const batch = this.#queue.take(this.#limits) as Entry[];
      this.#inFlight++;
      void this.#deliver(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
    // With every slot busy, the end of a delivery pumps again; a timer then would only spin.
    const oldest = this.#queue.peek();
    if (oldest && this.#timer === undefined && this.#inFlight < this.#s.concurrency) {
      const wait = Math.max(0, oldest.enqueuedAt + this.#s.flushIntervalMs - Date.now());
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, wait);
    }
  }

  /** One batch until it has an outcome: retried with the same body (the same ids), split on 413. */
  async #deliver(batch: Entry[]): Promise<void> {
    const startedAt = Date.now();
    const body = batchBody(batch);
    for (let attempt = 1; ; attempt++) {
      for (const e of batch) e.attempts++;
      const result: Attempt = await sendBatch({
        fetch: this.#s.fetch,
        endpoint: this.#endpoint,
        apiKey: this.#s.apiKey,
        body,
        timeoutMs: this.#s.requestTimeoutMs,
        now: Date.now,
      });
      switch (result.kind) {
        case 'sent':
          return this.#acknowledged(batch, result.result);
        case 'too_large': {
          if (batch.length === 1) return this.#refuse(batch, 413, result.problem);
          const half = Math.ceil(batch.length / 2);
          await Promise.all([this.#deliver(batch.slice(0, half)), this.#deliver(batch.slice(half))]);
          return;
        }
        case 'refused':
          if (result.status === 400) return this.#refusedInPart(batch, result.problem);
          return this.#refuse(batch, result.status, result.problem);
        case 'retry': {
          const delay = retryDelay(attempt, result.retryAfterMs, this.#s, this.#s.random);
          if (attempt >= this.#s.maxAttempts || Date.now() + delay - startedAt > this.#s.maxRetryMs) {
            for (const e of batch) this.#settle(e, { id: e.id, sent: false, reason: 'gave_up', attempts: e.attempts, error: result.error });
            return;
          }
          await sleep(delay);
        }
      }
    }
  }

  #acknowledged(batch: Entry[], result: IngestResult): void {
    const { perEvent, all } = warningsOf(batch, result);
    for (const w of all) this.#callback(this.#s.onWarning, w);
    batch.forEach((e, i) => this.#settle(e, { id: e.id, sent: true, attempts: e.attempts, warnings: perEvent[i]! }));
  }

  #refuse(batch: Entry[], status: number, problem: Parameters<typeof blameOf>[1]): void {
    const errors = (problem?.errors ?? []).map(({ field, message }) => ({ field, message }));
    for (const e of batch)
      this.#settle(e, { id: e.id, sent: false, reason: 'refused', status, errors, attempts: e.attempts, ...(problem ? { problem } : {}) });
  }

  /** A 400 refuses the events it names; the others were refused only for their company and go out again, first. */
  #refusedInPart(batch: Entry[], problem: Parameters<typeof blameOf>[1]): void {
    const { errors, innocent } = blameOf(batch.length, problem);
    for (const [i, errs] of errors) {
      const e = batch[i]!;
      this.#settle(e, {
        id: e.id,
        sent: false,
        reason: 'refused',
        status: 400,
        errors: errs,
        attempts: e.attempts,
        ...(problem ? { problem } : {}),
      });
    }
    if (innocent.length > 0) {
      const again = innocent.map((i) => batch[i]!);
      this.#queue.unshift(again);
      this.#flushThrough = Math.max(this.#flushThrough, ...again.map((e) => e.seq));
    }
  }

  #settle(entry: Entry, outcome: EventOutcome): void {
    if (!this.#unsettled.delete(entry)) return;
    entry.settle(this.#report(outcome));
    if (this.#roomWaiters.length > 0 && this.#unsettled.size < this.#s.maxQueuedEvents) {
      const waiters = this.#roomWaiters;
      this.#roomWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  #report(outcome: EventOutcome): EventOutcome {
    this.#callback(this.#s.onOutcome, outcome);
    return outcome;
  }

  /** A caller's callback that throws must not leave events unsettled: its error is rethrown on its own. */
  #callback<T>(fn: ((value: T) => void) | undefined, value: T): void {
    if (!fn) return;
    try {
      fn(value);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

export const createIngestClient = (options: IngestClientOptions) => new IngestClient(options);
