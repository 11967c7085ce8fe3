import { log, metricMeter } from '@temporalio/activity';
import { MAX_LISTED_FAILURES, type AlertCheckFailure, type FailureSummary } from '../../domain/anomaly/index.ts';

export { MAX_LISTED_FAILURES, type AlertCheckFailure, type FailureSummary };

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);

/**
 * Isolates the parts of one alert check (the anomaly scan, the budget checks) from each other.
 * A part that throws is logged at error level, counted (the worker metric
 * `meterplane_alert_check_failures{check}`) and reported in the activity's result, and the
 * other parts proceed: one tenant's data must never stop alerts for every tenant. The
 * activity itself still fails (and is retried) when what all parts share fails, such as the
 * initial reads.
 */
export function isolateFailures(check: 'anomaly_scan' | 'budget_check') {
  const summary: FailureSummary = { failed: 0, failures: [] };
  return {
    summary,
    /** Runs `work`; its value, or undefined when it failed (and was recorded). */
    async run<T>(scope: Omit<AlertCheckFailure, 'error'>, work: () => Promise<T>): Promise<T | undefined> {
      try {
        return await work();
      } catch (err) {
        const failure = { ...scope, error: errorText(err) };
        summary.failed += 1;
        if (summary.failures.length < MAX_LISTED_FAILURES) {
          summary.failures.push(failure);
          log.error(`${check}: a part failed; the others proceed`, { check, ...failure });
        }
        metricMeter
          .createCounter(
            'meterplane_alert_check_failures',
            'failures',
            'Parts of alert checks (a tenant and event type or meter) that failed',
          )
          .add(1, { check });
        return undefined;
      }
    },
    /** One closing line when anything failed, so a run with failures never looks clean in the logs. */
    report(): void {
      if (summary.failed > 0)
        log.error(`${check}: ${summary.failed} part(s) failed`, { check, failed: summary.failed, listed: summary.failures.length });
    },
  };
}
