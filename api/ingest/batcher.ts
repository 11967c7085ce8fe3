import type { UsageEventWriter } from '../../db/clickhouse/usage-writer.ts';
import type { Metrics } from '../metrics/metrics.ts';

/**
 * Group commit for ingest. Requests hand in their serialised rows and wait; a flush sends
 * the rows of many requests to ClickHouse in one insert and resolves every one of them
 * only after the insert committed, so a 202 always means durable.
 *
 * A flush starts when a flush slot is free and either `flushRows` rows are waiting or the
 * oldest waiting row has waited `flushMs`. While slots are busy, rows keep accumulating,
 * so batches grow with load by themselves. Flushes run off the event loop (the engine and
 * the HTTP client are asynchronous), so a slow flush never stops new requests from being
 * read and validated; it only makes the queue longer. When the queue (waiting + in-flight
 * rows) would pass `maxQueueRows`, submit refuses at once: the caller answers 503 with
 * Retry-After instead of buffering without bound. A request's rows always travel in one
 * insert.
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
  readonly reason: 'overloaded' | 'stopped' | 'storage_error';
  constructor(reason: IngestUnavailableError['reason'], message: string, retryAfterSeconds: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Waiting = { lines: readonly string[]; at: number; resolve: () => void; reject: (err: Error) => void };

export type Batcher = {
  /** Resolves once these rows are committed; rejects with IngestUnavailableError. */
  submit(lines: readonly string[]): Promise<void>;
  /** Flushes everything waiting, waits for in-flight inserts, then refuses new rows. */
  stop(): Promise<void>;
  /** Rows waiting or being inserted. */
  queuedRows(): number;
};

export function createBatcher(write: UsageEventWriter, options: BatcherOptions, metrics?: Metrics): Batcher {
  const retryAfter = options.retryAfterSeconds ?? 1;
  const waiting: Waiting[] = [];
  let waitingRows = 0;
  let inFlight = 0;
  let inFlightRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let drained: (() => void) | undefined;

  const queued = () => waitingRows + inFlightRows;
  const updateGauge = () => metrics?.queueRows.set(queued());

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
      const batch: Waiting[] = [];
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

  async function flush(batch: Waiting[], rows: number): Promise<void> {
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
      const failure = new IngestUnavailableError('storage_error', 'usage storage did not accept the events; nothing was acknowledged, retry the request', retryAfter, err);
      for (const w of batch) w.reject(failure);
    } finally {
      inFlight -= 1;
      inFlightRows -= rows;
      updateGauge();
      pump();
    }
  }

  return {
    submit(lines) {
      if (stopping) return Promise.reject(new IngestUnavailableError('stopped', 'the server is shutting down; retry the request', retryAfter));
      if (queued() + lines.length > options.maxQueueRows) {
        return Promise.reject(new IngestUnavailableError('overloaded', 'ingest queue is full; retry the request later', retryAfter));
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ lines, at: performance.now(), resolve, reject });
        waitingRows += lines.length;
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
    queuedRows: queued,
  };
}
