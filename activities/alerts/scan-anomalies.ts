import { sql } from 'slonik';
import { z } from 'zod';
import {
  DEFAULT_DETECTION,
  DEFAULT_SCAN,
  EPISODE_MAX_GAP_INTERVALS,
  decideEpisode,
  detectionParamsFor,
  lookbackBuckets,
  observe,
  scanWindow,
  type AlertView,
  type AnomalyKind,
  type BucketGrid,
  type DetectionParams,
  type Finding,
  type ScanDefaults,
  type ScanWindow,
} from '../../domain/anomaly/index.ts';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertRule, type NewAlert } from '../../db/postgres/alerts-repository.ts';
import { anomalyEpisodesRepository as episodes, type EpisodeRow } from '../../db/postgres/anomaly-episodes-repository.ts';
import { readAllTenantsAnomalyCounts } from '../../db/clickhouse/anomaly-query.ts';
import type { ActivityDeps } from '../deps.ts';
import { raiseAlertIn } from './raise-alert.ts';
import { sendRaisedAlerts } from './send-raised-alerts.ts';
import { isolateFailures, type FailureSummary } from './isolate-failures.ts';

/** `sendWebhooks`: the scan sends alert.created for the alerts it raises (sendRaisedAlerts) and lists only the first few. */
export type ScanUsageInput = { at: string; settings?: Partial<ScanDefaults>; sendWebhooks?: boolean };

/** An alert this run created (a duplicate of an existing one is not listed). */
export type RaisedAlert = AlertView;

export type ScanUsageResult = FailureSummary & {
  window: { start: string; end: string };
  /** (tenant, event type) pairs that had events in the scanned spans. */
  pairs: number;
  raised: RaisedAlert[];
  /** There when the scan sent its alerts' webhooks itself: `raised` then lists the first MAX_LISTED_RAISED. */
  raisedCount?: number;
};

const MINUTE_MS = 60_000;

function describe(eventType: string, f: Finding, minutes: number): string {
  const ratio = f.expected > 0 ? `${(f.observed / f.expected).toFixed(1)}× the usual ${round(f.expected)}` : 'where there are usually none';
  return f.kind === 'usage_spike'
    ? `Usage spike on ${eventType}: ${f.observed} events in ${minutes} min, ${ratio} (robust z ${f.z.toFixed(1)})`
    : `Usage drop on ${eventType}: ${f.observed} events in ${minutes} min where about ${round(f.expected)} are usual; is the integration sending events?`;
}
const round = (n: number) => String(Math.round(n * 10) / 10);

/** The alert of a new episode: about the event type whose count was watched, not a meter (several may read it, or none). */
function anomalyAlert(
  tenantId: string,
  eventType: string,
  f: Finding,
  p: DetectionParams,
  window: ScanWindow,
  intervalMinutes: number,
): NewAlert {
  const bucketMs = intervalMinutes * MINUTE_MS;
  return {
    tenantId,
    meter: null,
    eventType,
    kind: f.kind,
    severity: 'warning',
    windowStart: new Date(window.end.getTime() - f.spanBuckets * bucketMs),
    windowEnd: window.end,
    observed: String(f.observed),
    expected: String(f.expected),
    message: describe(eventType, f, f.spanBuckets * intervalMinutes),
    details: {
      z: Math.round(f.z * 100) / 100,
      scale: Math.round(f.scale * 100) / 100,
      median: f.median,
      lastWeek: f.lastWeek,
      baselineDays: p.baselineDays,
      sensitivity: p.sensitivity,
      minVolume: p.minVolume,
    },
  };
}

const pairKey = (tenantId: string, eventType: string) => JSON.stringify([tenantId, eventType]);
const episodeKey = (tenantId: string, eventType: string, kind: AnomalyKind) => JSON.stringify([tenantId, eventType, kind]);

export function createScanAnomalyActivities(deps: ActivityDeps) {
  return {
    /**
     * The anomaly scan: ONE ClickHouse query across all tenants and event types, then the
     * robust statistics of domain/anomaly per pair, then, per pair and kind, the episode
     * transition from its stored open episode: a new episode raises its alert (in the same
     * transaction), an open one continues or closes. Running it again for the same time raises
     * nothing. Each (tenant, event type) is isolated: one that fails is logged and reported in
     * `failed`/`failures`, and the others proceed.
     */
    async scanUsageAnomalies(input: ScanUsageInput): Promise<ScanUsageResult> {
      const settings: ScanDefaults = { ...DEFAULT_SCAN, ...input.settings };
      const bucketMs = settings.intervalMinutes * MINUTE_MS;
      const maxGapMs = EPISODE_MAX_GAP_INTERVALS * bucketMs;
      const window = scanWindow(new Date(input.at), settings.intervalMinutes);

      const { rules, tenantIds, open } = await withOperator(deps.pg, async (tx) => ({
        rules: (await alertsRepository.listRules(tx)).map(toAlertRule),
        tenantIds: new Set(await tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id::text AS id FROM tenants`)),
        open: await episodes.listOpen(tx),
      }));
      const openEpisodes = new Map<string, EpisodeRow>(open.map((e) => [episodeKey(e.tenant_id, e.event_type, e.kind), e]));
      // The query reads the longest span any pair needs.
      const widest = Math.max(1, ...rules.map((r) => detectionParamsFor([r], r.tenantId ?? '', r.meter ?? '', settings).windowBuckets));
      const buckets = lookbackBuckets({ windowBuckets: widest, dropWindows: DEFAULT_DETECTION.dropWindows });
      const rows = await readAllTenantsAnomalyCounts(deps.clickhouse, {
        scope: 'all-tenants',
        windowEndMs: window.end.getTime(),
        bucketMs,
        buckets,
        days: settings.baselineDays,
      });

      const grids = new Map<string, { tenantId: string; eventType: string; grid: number[][] }>();
      for (const r of rows) {
        if (!tenantIds.has(r.tenantId)) continue; // events of a tenant that does not exist (any more)
        const key = pairKey(r.tenantId, r.eventType);
        let entry = grids.get(key);
        if (!entry) grids.set(key, (entry = { tenantId: r.tenantId, eventType: r.eventType, grid: [] }));
        (entry.grid[r.day] ??= [])[r.bucket] = r.events;
      }
      const pairs = grids.size;
      // A pair with an open episode but no events at all in the scanned spans is judged too (and closes).
      for (const e of open) {
        const key = pairKey(e.tenant_id, e.event_type);
        if (!grids.has(key)) grids.set(key, { tenantId: e.tenant_id, eventType: e.event_type, grid: [] });
      }

      const raised: RaisedAlert[] = [];
      /**
       * One pair: each kind's episode transition, in one transaction per change. An alert is
       * listed as soon as it is committed, so a later failure of the same pair cannot hide it
       * from the alert.created webhook.
       */
      const scanPair = async (tenantId: string, eventType: string, grid: BucketGrid): Promise<void> => {
        const params = detectionParamsFor(rules, tenantId, eventType, settings);
        for (const o of observe(grid, params)) {
          const stored = openEpisodes.get(episodeKey(tenantId, eventType, o.kind)) ?? null;
          const decision = decideEpisode(stored && { lastSeenWindowEnd: stored.last_seen_window_end }, o, window.end, maxGapMs);
          if (decision.action === 'none') continue;
          const alert = await withTenant(deps.pg, tenantId, async (tx) => {
            if (decision.action === 'continue') {
              await episodes.markSeen(tx, stored!.id, window.end);
              return null;
            }
            if (decision.action === 'close' || decision.closesStale) await episodes.close(tx, stored!.id, window.end);
            if (decision.action === 'close') return null;
            // Another scan running at once may have opened it first: then it raised the alert, and this one raises nothing.
            const episode = await episodes.openIfNone(tx, { tenantId, eventType, kind: o.kind, windowEnd: window.end });
            if (!episode) return null;
            const created = await raiseAlertIn(
              tx,
              anomalyAlert(tenantId, eventType, decision.finding, params, window, settings.intervalMinutes),
            );
            if (created) await episodes.linkAlert(tx, episode.id, created.id);
            return created;
          });
          if (alert) raised.push(alert);
        }
      };

      const failures = isolateFailures('anomaly_scan');
      for (const { tenantId, eventType, grid } of grids.values()) {
        await failures.run({ tenantId, eventType }, () => scanPair(tenantId, eventType, grid));
      }
      failures.report();
      const result = { window: { start: window.start.toISOString(), end: window.end.toISOString() }, pairs, raised, ...failures.summary };
      return input.sendWebhooks ? sendRaisedAlerts(deps, result) : result;
    },
  };
}
