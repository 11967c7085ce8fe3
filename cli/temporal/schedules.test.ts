import { describe, expect, it } from 'vitest';
import { anomalyScanSchedule } from './schedules.ts';

describe('the anomaly-scan schedule', () => {
  it('runs every interval after a settling delay, skips overlaps, and passes the configured defaults', () => {
    const s = anomalyScanSchedule({ intervalMinutes: 5, baselineDays: 7, minVolume: 100, sensitivity: 6, delaySeconds: 30 });
    expect(s.scheduleId).toBe('anomaly-scan');
    expect(s.spec).toEqual({ intervals: [{ every: 300_000, offset: 30_000 }] });
    expect(s.policies).toMatchObject({ overlap: 'SKIP' });
    expect(s.action).toMatchObject({
      workflowType: 'anomalyScanWorkflow',
      workflowId: 'anomaly-scan',
      taskQueue: 'billing',
      args: [{ settings: { intervalMinutes: 5, baselineDays: 7, minVolume: 100, sensitivity: 6 } }],
    });
  });
});
