// A history set: one folder under test/replay/histories/ with the histories one recording
// exported (Temporal's JSON history format) and its manifest. Sets are only ever added.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const HISTORIES_DIR = join(import.meta.dirname, 'histories');

/** How a run's history ends. */
export type RunEnd = 'completed' | 'continued_as_new' | 'failed' | 'open';

export type RecordedHistory = {
  /** File name inside the set folder. */
  file: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  scenario: string;
  /** What this history exercises, in words. */
  covers: string;
  /** 1-based place of this run in its workflow id's continue-as-new chain, out of `runs`. */
  run: number;
  runs: number;
  end: RunEnd;
  events: number;
};

export type HistorySetManifest = {
  recordedAt: string;
  /** `git describe --always --dirty` of the checkout whose workflow code ran. */
  commit: string;
  /** True when workflows/ differed from that commit (then the set does not stand for a release). */
  workflowsModified: boolean;
  sdkVersion: string;
  temporalCli: string;
  /** The dunning schedule the recording used (fractions of a day, so attempts come seconds apart). */
  dunningScheduleDays: number[];
  recordingSeconds: number;
  histories: RecordedHistory[];
};

export type LoadedHistory = RecordedHistory & { set: string; history: { events: HistoryEventJson[] } };
/** The parts of a JSON history event the checks read. */
export type HistoryEventJson = { eventId: string; eventType: string; [attributes: string]: unknown };

/** Every recorded history of every set, oldest set first. */
export function loadHistorySets(dir = HISTORIES_DIR): {
  sets: { name: string; manifest: HistorySetManifest }[];
  histories: LoadedHistory[];
} {
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const sets = names.map((name) => ({
    name,
    manifest: JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8')) as HistorySetManifest,
  }));
  const histories = sets.flatMap(({ name, manifest }) =>
    manifest.histories.map((h) => ({
      ...h,
      set: name,
      history: JSON.parse(readFileSync(join(dir, name, h.file), 'utf8')) as LoadedHistory['history'],
    })),
  );
  return { sets, histories };
}

/** The attributes object of an event (`workflowExecutionStartedEventAttributes`, …). */
export function attributesOf(event: HistoryEventJson): Record<string, unknown> {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  return key ? (event[key] as Record<string, unknown>) : {};
}

export function workflowTypeOf(history: LoadedHistory['history']): string {
  return (attributesOf(history.events[0]!).workflowType as { name: string }).name;
}

export function runEndOf(history: { events: HistoryEventJson[] }): RunEnd {
  const last = history.events[history.events.length - 1]!.eventType;
  if (last === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED') return 'completed';
  if (last === 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW') return 'continued_as_new';
  if (/WORKFLOW_EXECUTION_(FAILED|TIMED_OUT|TERMINATED|CANCELED)$/.test(last)) return 'failed';
  return 'open';
}

/** Activity types scheduled in a history, in order. */
export function scheduledActivities(history: { events: HistoryEventJson[] }): string[] {
  return history.events
    .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')
    .map((e) => (attributesOf(e).activityType as { name: string }).name);
}
