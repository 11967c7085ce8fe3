import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import {
  ANOMALY_SCAN_SCHEDULE_ID,
  ANOMALY_SCAN_WORKFLOW,
  TASK_QUEUE,
  type AnomalyScanInput,
  type AnomalyScanSettings,
} from '../../workflows/contract.ts';

/** The scan's defaults from configuration (ANOMALY_* variables). */
export function anomalySettingsOf(config: Config): AnomalyScanSettings & { delaySeconds: number } {
  return {
    intervalMinutes: config.ANOMALY_SCAN_INTERVAL_MINUTES,
    baselineDays: config.ANOMALY_BASELINE_DAYS,
    minVolume: config.ANOMALY_MIN_VOLUME,
    sensitivity: config.ANOMALY_SENSITIVITY,
    delaySeconds: config.ANOMALY_SCAN_DELAY_SECONDS,
  };
}

type ScanAction = ScheduleOptionsStartWorkflowAction<(input?: AnomalyScanInput) => Promise<unknown>>;

/**
 * The `anomaly-scan` schedule: every interval, `delaySeconds` after each boundary (so the
 * window that just ended has its late events), overlap Skip (a scan still running when the
 * next is due makes the next one skip). Each run's workflow id is `anomaly-scan-<time>`.
 */
export function anomalyScanSchedule(
  s: AnomalyScanSettings & { delaySeconds: number },
  taskQueue = TASK_QUEUE,
): ScheduleOptions<ScanAction> {
  const { delaySeconds, ...settings } = s;
  return {
    scheduleId: ANOMALY_SCAN_SCHEDULE_ID,
    spec: { intervals: [{ every: settings.intervalMinutes * 60_000, offset: delaySeconds * 1_000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: ANOMALY_SCAN_WORKFLOW,
      workflowId: ANOMALY_SCAN_SCHEDULE_ID,
      taskQueue,
      args: [{ settings }],
      workflowExecutionTimeout: settings.intervalMinutes * 2 * 60_000,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: settings.intervalMinutes * 60_000 },
  };
}

/**
 * Creates the schedule, or brings an existing one up to date with the configuration: safe to
 * run at every worker start-up, from any number of workers at once.
 */
export async function ensureAnomalyScanSchedule(
  client: Client,
  s: AnomalyScanSettings & { delaySeconds: number },
  logger?: Logger,
  taskQueue = TASK_QUEUE,
): Promise<'created' | 'updated'> {
  const options = anomalyScanSchedule(s, taskQueue);
  try {
    await client.schedule.create(options);
    logger?.info({ scheduleId: options.scheduleId, every: `${s.intervalMinutes} min` }, 'Temporal schedule created');
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    // Keep what operators set by hand (paused, a note).
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  logger?.debug({ scheduleId: options.scheduleId }, 'Temporal schedule updated');
  return 'updated';
}
