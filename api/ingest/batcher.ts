import type { Metrics } from '../metrics/metrics.ts';
import { admission } from './admission.ts';

/**
 * Group commit for ingest. Requests hand in their serialised rows and wait; a flush sends
 * the rows of many requests to ClickHouse in one insert and resolves every one of them
 * only after the insert committed, so a 202 always means durable.
 *
 * A flush starts when a flush slot is free and either `flushRows` rows are waiting or the
 * oldest waiting row has waited `flushMs`. While slots are busy, rows keep accumulating,
 * so batches grow with load by themselves. Flushes run off the event loop (the engine and
 * the HTTP client are asynchronous), so a slow flush never stops new requests from being
 * read and validated; it only makes the queue longer. A request's rows always travel in one
 * insert.
 *
 * Admission (admission.ts) counts the queue as waiting + in-flight rows, in total and per
 * tenant. A request is refused whole, at once, never buffered without bound: `overloaded`
 * when its rows would take the queue past `maxQueueRows` (the caller answers 503), and
 * `fair_share` when the queue is more than half full and one of its tenants already holds
 * more than half of it (429). `refusal` asks the same question before a request's body is
 * read, so a full queue costs a refused client nothing to parse.
 */
export type BatcherOptions = {
  flushRows: number;
  flushMs: number;
  maxQueueRows: number;
  /** Inserts allowed in flight at once. */
  flushConcurrency: number;
  /** Suggested wait for a refused client (seconds). */
  retryAfterSeconds?: number;
};

export class IngestUnavailableError extends Error {
  readonly retryAfterSeconds: number;
  readonly reason: 'overloaded' | 'fair_share' | 'stopped' | 'storage_error';
  constructor(reason: IngestUnavailableError['reason'], message: string, retryAfterSeconds: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** One row for the writer (a serialised ClickHouse row, or what the writer takes) and its tenant. */
export type QueuedRow<L = string> = { tenantId: string; line: L };

/** Stores a flush's rows; resolves once they are committed. */
export type BatchWriter<L> = (lines: readonly L[]) => Promise<unknown>;

type Waiting<L> = {
  lines: readonly L[];
  perTenant: ReadonlyMap<string, number>;
  at: number;
  resolve: () => void;
  reject: (err: Error) => void;
};

export type Batcher<L = string> = {
  /** Resolves once these rows are committed; rejects with IngestUnavailableError. */
  submit(rows: readonly QueuedRow<L>[]): Promise<void>;
  /**
   * Why a request would be refused now whatever its size (at least one row), for a caller
   * that has not read the request yet; `tenantId` when the caller already knows it.
   */
  refusal(tenantId?: string): IngestUnavailableError | undefined;
  /** Flushes everything waiting, waits for in-flight inserts, then refuses new rows. */
  stop(): Promise<void>;
  /** Rows waiting or being inserted, of every tenant or of one. */
  queuedRows(tenantId?: string): number;
};

export function createBatcher<L = string>(write: BatchWriter<L>, options: BatcherOptions, metrics?: Metrics): Batcher<L> {
  const retryAfter = options.retryAfterSeconds ?? 1;
  const waiting: Waiting<L>[] = [];
  let waitingRows = 0;
  /** Waiting + in-flight rows per tenant; a tenant with none has no entry. */
  const tenantRows = new Map<string, number>();
  let inFlight = 0;
  let inFlightRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let drained: (() => void) | undefined;

  const queued = () => waitingRows + inFlightRows;
  const updateGauge = () => metrics?.queueRows.set(queued());

  function hold(perTenant: ReadonlyMap<string, number>, sign: 1 | -1): void {
    for (const [tenantId, n] of perTenant) {
      const left = (tenantRows.get(tenantId) ?? 0) + sign * n;
      if (left === 0) tenantRows.delete(tenantId);
      else tenantRows.set(tenantId, left);
    }
  }

  function refuse(tenantIds: Iterable<string>, requestRows: number): IngestUnavailableError | undefined {
    if (stopping) return new IngestUnavailableError('stopped', 'the server is shutting down; retry the request', retryAfter);
    const decision = admission({
      queuedRows: queued(),
      maxQueueRows: options.maxQueueRows,
      tenantQueuedRows: [...tenantIds].map((t) => tenantRows.get(t) ?? 0),
      requestRows,
    });
    if (decision === 'fair_share') {
      return new IngestUnavailableError(
        'fair_share',
        "the ingest queue is busy and this tenant holds more than half of it; retry the request after the tenant's queued events are stored",
        retryAfter,
      );
    }
    if (decision === 'overloaded')
      return new IngestUnavailableError('overloaded', 'ingest queue is full; retry the request later', retryAfter);
    return undefined;
  }

  function schedule(): void {
    if (timer || waiting.length === 0) return;
    const delay = Math.max(0, waiting[0]!.at + options.flushMs - performance.now());
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, delay);
    timer.unref();
  }

  function pump(): void {
    while (inFlight < options.flushConcurrency && waiting.length > 0) {
      const due = stopping || waitingRows >= options.flushRows || performance.now() - waiting[0]!.at >= options.flushMs;
      if (!due) break;
      // Whole requests, up to flushRows (at least one request, whatever its size).
      const batch: Waiting<L>[] = [];
      let rows = 0;
      while (waiting.length > 0 && (batch.length === 0 || rows + waiting[0]!.lines.length <= options.flushRows)) {
        const w = waiting.shift()!;
        batch.push(w);
        rows += w.lines.length;
      }
      waitingRows -= rows;
      void flush(batch, rows);
    }
    if (timer && waiting.length === 0) {
      clearTimeout(timer);
      timer = undefined;
    }
    schedule();
    if (stopping && inFlight === 0 && waiting.length === 0) drained?.();
  }

  async function flush(batch: Waiting<L>[], rows: number): Promise<void> {
    inFlight += 1;
    inFlightRows += rows;
    const started = performance.now();
    try {
      await write(batch.length === 1 ? batch[0]!.lines : batch.flatMap((w) => w.lines));
      metrics?.flushSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
      metrics?.batchRows.observe(rows);
      for (const w of batch) w.resolve();
    } catch (err) {
      metrics?.flushSeconds.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
      const failure = new IngestUnavailableError(
        'storage_error',
        'usage storage did not accept the events; nothing was acknowledged, retry the request',
        retryAfter,
        err,
      );
      for (const w of batch) w.reject(failure);
    } finally {
      inFlight -= 1;
      inFlightRows -= rows;
      for (const w of batch) hold(w.perTenant, -1);
      updateGauge();
      pump();
    }
  }

  return {
    submit(rows) {
      const perTenant = new Map<string, number>();
      for (const r of rows) perTenant.set(r.tenantId, (perTenant.get(r.tenantId) ?? 0) + 1);
      const refused = refuse(perTenant.keys(), rows.length);
      if (refused) return Promise.reject(refused);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ lines: rows.map((r) => r.line), perTenant, at: performance.now(), resolve, reject });
        waitingRows += rows.length;
        hold(perTenant, 1);
        updateGauge();
        pump();
      });
    },
    stop() {
      stopping = true;
      return new Promise<void>((resolve) => {
        drained = resolve;
        pump();
      });
    },
    refusal: (tenantId) => refuse(tenantId === undefined ? [] : [tenantId], 1),
    queuedRows: (tenantId) => (tenantId === undefined ? queued() : (tenantRows.get(tenantId) ?? 0)),
  };
}
