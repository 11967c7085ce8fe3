/**
 * Whether the ingest queue takes one more request, and if not, why. Pure: the batcher
 * calls it with its counts.
 *
 * - `fair_share`: while the queue is more than half full, a tenant that holds more than
 *   half of the queued rows is refused (429), so one tenant's flood cannot take the room
 *   every other tenant needs. A tenant at or under half its share is never refused for this.
 * - `overloaded`: the request's rows would take the queue past its bound (503).
 *
 * The share is judged on the rows already queued, not on the request: a tenant whose share
 * is fair may send one request of any size that fits, and only its next one is refused.
 * A request is judged whole: its rows are all admitted or all refused.
 */
export type AdmissionInput = {
  queuedRows: number;
  maxQueueRows: number;
  /** Rows already queued of each tenant the request writes (one entry per tenant). */
  tenantQueuedRows: readonly number[];
  requestRows: number;
};

export type Admission = 'admit' | 'fair_share' | 'overloaded';

export function admission(input: AdmissionInput): Admission {
  const { queuedRows, maxQueueRows, tenantQueuedRows, requestRows } = input;
  const moreThanHalfFull = 2 * queuedRows > maxQueueRows;
  if (moreThanHalfFull && tenantQueuedRows.some((held) => 2 * held > queuedRows)) return 'fair_share';
  if (queuedRows + requestRows > maxQueueRows) return 'overloaded';
  return 'admit';
}
