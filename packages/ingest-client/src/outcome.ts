import type { FieldError, IngestResult, IngestWarning, Problem } from './api-types.ts';

/**
 * What became of one tracked event. `sent: true` only after a 202: the event is durable and counts
 * once, however often it was delivered. Every other outcome says why it was not sent, and is final.
 */
export type EventOutcome =
  | { id: string; sent: true; attempts: number; warnings: IngestWarning[] }
  | {
      id: string;
      sent: false;
      /** A final HTTP answer: 400 (this event's `errors`), 401, 403, 413 for one event alone, or any other non-retryable status. */
      reason: 'refused';
      status: number;
      errors: EventError[];
      problem?: Problem;
      attempts: number;
    }
  /** Every attempt failed with something retryable, and the attempts or the time allowed ran out. */
  | { id: string; sent: false; reason: 'gave_up'; attempts: number; error: string }
  /** The client holds `maxQueuedEvents` unsettled events; nothing was queued (see `waitForRoom()`). */
  | { id: string; sent: false; reason: 'queue_full' }
  /** `track()` after `close()`. */
  | { id: string; sent: false; reason: 'closed' }
  /** Not JSON, or larger than a batch may be on its own: no request could carry it. */
  | { id: string; sent: false; reason: 'invalid'; error: string };

/** A field error of one event, its path relative to the event (`data.tokens`, not `events[3].data.tokens`). */
export type EventError = { field: string; message: string };

/** A warning as the API sent it, with the id of the event it is about when it names one. */
export type ClientWarning = IngestWarning & { eventId?: string };

type Batched = { id: string; type: string };

/**
 * The warnings of an acknowledged batch, per event: those that name its index, and those about
 * its type (an event type no meter reads). `all` lists each warning once, for `onWarning`.
 */
export function warningsOf(batch: readonly Batched[], result: IngestResult): { perEvent: IngestWarning[][]; all: ClientWarning[] } {
  const perEvent = batch.map((): IngestWarning[] => []);
  const all: ClientWarning[] = [];
  for (const w of result.warnings ?? []) {
    if (w.index !== undefined && batch[w.index]) {
      perEvent[w.index]!.push(w);
      all.push({ ...w, eventId: batch[w.index]!.id });
      continue;
    }
    all.push(w);
    batch.forEach((e, i) => {
      if (e.type === w.type) perEvent[i]!.push(w);
    });
  }
  return { perEvent, all };
}

const EVENT_FIELD = /^events\[(\d+)\](?:\.(.*))?$/;

/**
 * Which events of a 400 the API blamed, with their errors. The API refuses a request whole, so
 * an event it did not name was not at fault: `innocent` lists them (by index) to be sent again
 * without the others. A 400 that names no event (a malformed body) blames them all.
 */
export function blameOf(batchSize: number, problem: Problem | undefined): { errors: Map<number, EventError[]>; innocent: number[] } {
  const errors = new Map<number, EventError[]>();
  for (const e of problem?.errors ?? []) {
    const m = EVENT_FIELD.exec(e.field);
    const index = e.index ?? (m ? Number(m[1]) : undefined);
    if (index === undefined || index < 0 || index >= batchSize) continue;
    const field = m && Number(m[1]) === index ? (m[2] ?? '') : e.field;
    errors.set(index, [...(errors.get(index) ?? []), { field, message: e.message }]);
  }
  if (errors.size === 0) {
    const all = (problem?.errors ?? []).map((e: FieldError) => ({ field: e.field, message: e.message }));
    return { errors: new Map(Array.from({ length: batchSize }, (_, i) => [i, all])), innocent: [] };
  }
  const innocent = Array.from({ length: batchSize }, (_, i) => i).filter((i) => !errors.has(i));
  return { errors, innocent };
}
