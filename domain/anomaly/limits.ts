import { MAX_TYPE_LENGTH } from '../metering/index.ts';

/**
 * The bounds of an alert rule's settings. The API's zod schema is built from these, and the
 * CHECK constraints of `alert_rules` (migrations 0008 and 0011) state the same numbers, so a
 * value the API accepts is a value the table stores; a test inserts each bound through the
 * repository to keep the two in step.
 */
export const ALERT_RULE_LIMITS = {
  /** sensitivity: a robust z-score, 0 < s ≤ 1000, stored as numeric(8, 3). */
  sensitivityMax: 1000,
  sensitivityFractionDigits: 3,
  /** windowMinutes: 1 to 6 hours, so a span never wraps a day. */
  windowMinutesMin: 1,
  windowMinutesMax: 360,
  /** minVolume: events a window needs before it can be a spike. */
  minVolumeMin: 0,
  minVolumeMax: 1_000_000_000,
  /** budgetLevels: 1 to 10 levels, each a percent of the budget from 1 to 1000. */
  budgetLevelMin: 1,
  budgetLevelMax: 1000,
  budgetLevelsMaxCount: 10,
} as const;

/**
 * Alerts and alert rules name the event type they watch (their `meter` column and field, a
 * historical name). They accept every event type ingest accepts, so one tenant's long type can
 * never make an alert unstorable: the tables' CHECK is 1 to this many characters.
 */
export const MAX_ALERT_EVENT_TYPE_LENGTH = MAX_TYPE_LENGTH;
