import { sql } from 'slonik';
import { z } from 'zod';
import {
  DEFAULT_DETECTION,
  DEFAULT_SCAN,
  detect,
  detectionParamsFor,
  lookbackBuckets,
  scanWindow,
  type BucketGrid,
  type Finding,
  type ScanDefaults,
} from '../../domain/anomaly/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertRule, type AlertView } from '../../db/postgres/alerts-repository.ts';
import { readAllTenantsAnomalyCounts } from '../../db/clickhouse/anomaly-query.ts';
import type { ActivityDeps } from '../deps.ts';
import { raiseAlert } from './raise-alert.ts';

export type ScanUsageInput = { at: string; settings?: Partial<ScanDefaults> };

/** An alert this run created (a duplicate of an existing one is not listed). */
export type RaisedAlert = AlertView;

export type ScanUsageResult = {
  window: { start: string; end: string };
  /** (tenant, event type) pairs that had events in the scanned spans. */
  pairs: number;
  raised: RaisedAlert[];
};

const MINUTE_MS = 60_000;

function describe(meter: string, f: Finding, minutes: number): string {
  const ratio = f.expected > 0 ? `${(f.observed / f.expected).toFixed(1)}× the usual ${round(f.expected)}` : 'where there are usually none';
  return f.kind === 'usage_spike'
    ? `Usage spike on ${meter}: ${f.observed} events in ${minutes} min, ${ratio} (robust z ${f.z.toFixed(1)})`
    : `Usage drop on ${meter}: ${f.observed} events in ${minutes} min where about ${round(f.expected)} are usual; is the integration sending events?`;
}
const round = (n: number) => String(Math.round(n * 10) / 10);

export function createScanAnomalyActivities(deps: ActivityDeps) {
  return {
    /**
     * The anomaly scan: ONE ClickHouse query across all tenants and event types, then the
     * robust statistics of domain/anomaly per pair, then an alert per finding (deduplicated by
     * tenant, meter, kind and window, so running it again for the same time raises nothing).
     */
    async scanUsageAnomalies(input: ScanUsageInput): Promise<ScanUsageResult> {
      const settings: ScanDefaults = { ...DEFAULT_SCAN, ...input.settings };
      const bucketMs = settings.intervalMinutes * MINUTE_MS;
      const window = scanWindow(new Date(input.at), settings.intervalMinutes);

      const { rules, tenantIds } = await withOperator(deps.pg, async (tx) => ({
        rules: (await alertsRepository.listRules(tx)).map(toAlertRule),
        tenantIds: new Set(await tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id::text AS id FROM tenants`)),
      }));
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
        const key = JSON.stringify([r.tenantId, r.eventType]);
        let entry = grids.get(key);
        if (!entry) grids.set(key, (entry = { tenantId: r.tenantId, eventType: r.eventType, grid: [] }));
        (entry.grid[r.day] ??= [])[r.bucket] = r.events;
      }

      const raised: RaisedAlert[] = [];
      for (const { tenantId, eventType, grid } of grids.values()) {
        const params = detectionParamsFor(rules, tenantId, eventType, settings);
        for (const f of detect(grid as BucketGrid, params)) {
          const minutes = f.spanBuckets * settings.intervalMinutes;
          const alert = await raiseAlert(
            deps.pg,
            {
              tenantId,
              meter: eventType,
              kind: f.kind,
              severity: 'warning',
              windowStart: new Date(window.end.getTime() - f.spanBuckets * bucketMs),
              windowEnd: window.end,
              observed: String(f.observed),
              expected: String(f.expected),
              message: describe(eventType, f, minutes),
              details: {
                z: Math.round(f.z * 100) / 100,
                scale: Math.round(f.scale * 100) / 100,
                median: f.median,
                lastWeek: f.lastWeek,
                baselineDays: params.baselineDays,
                sensitivity: params.sensitivity,
                minVolume: params.minVolume,
              },
            },
          );
          if (alert) raised.push(alert);
        }
      }
      return { window: { start: window.start.toISOString(), end: window.end.toISOString() }, pairs: grids.size, raised };
    },
  };
}
