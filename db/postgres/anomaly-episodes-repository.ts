import { sql } from 'slonik';
import { z } from 'zod';
import type { AnomalyKind } from '../../domain/anomaly/index.ts';
import type { Tx } from './tenant-scope.ts';
import { ts } from './sql.ts';

// Anomaly episodes (tenant-owned, RLS; migration 0011): at most one open per tenant, event type and kind.

export const episodeRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  event_type: z.string(),
  kind: z.enum(['usage_spike', 'usage_drop']),
  alert_id: z.string().nullable(),
  opened_window_end: z.date(),
  last_seen_window_end: z.date(),
  closed_window_end: z.date().nullable(),
  opened_at: z.date(),
  closed_at: z.date().nullable(),
});
export type EpisodeRow = z.infer<typeof episodeRow>;

const columns = sql.fragment`id, tenant_id, event_type, kind, alert_id, opened_window_end, last_seen_window_end, closed_window_end, opened_at, closed_at`;

export type NewEpisode = { tenantId: string; eventType: string; kind: AnomalyKind; windowEnd: Date };

export const anomalyEpisodesRepository = {
  /** Every open episode the scope can see (the scan reads them in the operator scope). */
  listOpen: (tx: Tx) =>
    tx.any(sql.type(episodeRow)`SELECT ${columns} FROM anomaly_episodes WHERE closed_at IS NULL ORDER BY tenant_id, event_type, kind`),

  /** Episodes of one tenant, newest first (tests and operators). */
  list: (tx: Tx, tenantId: string) =>
    tx.any(
      sql.type(
        episodeRow,
      )`SELECT ${columns} FROM anomaly_episodes WHERE tenant_id = ${tenantId} ORDER BY opened_at DESC, opened_window_end DESC, id`,
    ),

  /**
   * Opens an episode unless one is open for the same tenant, event type and kind. Returns the
   * new row, or null when another scan opened it first (the caller then raises nothing). A
   * concurrent insert waits for the other transaction and then finds the conflict.
   */
  openIfNone: (tx: Tx, e: NewEpisode) =>
    tx.maybeOne(sql.type(episodeRow)`
      INSERT INTO anomaly_episodes (tenant_id, event_type, kind, opened_window_end, last_seen_window_end)
      VALUES (${e.tenantId}, ${e.eventType}, ${e.kind}, ${ts(e.windowEnd)}, ${ts(e.windowEnd)})
      ON CONFLICT DO NOTHING
      RETURNING ${columns}`),

  linkAlert: (tx: Tx, id: string, alertId: string) =>
    tx.query(sql.unsafe`UPDATE anomaly_episodes SET alert_id = ${alertId} WHERE id = ${id}`),

  /** Records that the scan of the window ending at `windowEnd` found it still under way; never moves backwards. */
  markSeen: (tx: Tx, id: string, windowEnd: Date) =>
    tx.query(sql.unsafe`
      UPDATE anomaly_episodes SET last_seen_window_end = greatest(last_seen_window_end, ${ts(windowEnd)})
      WHERE id = ${id} AND closed_at IS NULL`),

  /** Closes it, unless it is closed already or a newer scan has seen it since. */
  close: (tx: Tx, id: string, windowEnd: Date) =>
    tx.query(sql.unsafe`
      UPDATE anomaly_episodes SET closed_at = now(), closed_window_end = ${ts(windowEnd)}
      WHERE id = ${id} AND closed_at IS NULL AND last_seen_window_end <= ${ts(windowEnd)}`),
};
