export { MAD_TO_SIGMA, mad, median } from './robust.ts';
export { CONTINUATION_FACTOR, DEFAULT_DETECTION, RELATIVE_SCALE_FLOOR, assess, detect, dropAt, lookbackBuckets, spikeAt } from './detect.ts';
export { ALERT_RULE_LIMITS, MAX_ALERT_EVENT_TYPE_LENGTH } from './limits.ts';
export type { AnomalyKind, Assessment, BucketGrid, DetectionParams, Finding } from './detect.ts';
export { DEFAULT_SCAN, MAX_WINDOW_MINUTES, budgetLevelsFor, detectionParamsFor } from './rules.ts';
export type { AlertRule, ScanDefaults } from './rules.ts';
export { DEFAULT_BUDGET_LEVELS, budgetLevelReached, budgetLevelToRaise, budgetSeverity } from './budget.ts';
export { ALERT_KINDS, ALERT_SEVERITIES, scanWindow } from './window.ts';
export type { AlertKind, AlertSeverity, ScanWindow } from './window.ts';
