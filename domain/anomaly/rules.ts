import { DEFAULT_DETECTION, type DetectionParams } from './detect.ts';
import { DEFAULT_BUDGET_LEVELS } from './budget.ts';
import { ALERT_RULE_LIMITS } from './limits.ts';

/**
 * An alert rule overrides defaults for a tenant, a meter, or one meter of one tenant. A null
 * scope field matches every tenant (or meter); a null setting leaves the default alone.
 */
export type AlertRule = {
  tenantId: string | null;
  meter: string | null;
  sensitivity: number | null;
  windowMinutes: number | null;
  minVolume: number | null;
  budgetLevels: readonly number[] | null;
};

/** The scan's own defaults (from configuration) before any rule applies. */
export type ScanDefaults = {
  intervalMinutes: number;
  baselineDays: number;
  minVolume: number;
  sensitivity: number;
};

export const DEFAULT_SCAN: ScanDefaults = {
  intervalMinutes: 5,
  baselineDays: DEFAULT_DETECTION.baselineDays,
  minVolume: DEFAULT_DETECTION.minVolume,
  sensitivity: DEFAULT_DETECTION.sensitivity,
};

/** Rule windows are whole scan intervals; the longest is 6 hours so a span never wraps a day. */
export const MAX_WINDOW_MINUTES = ALERT_RULE_LIMITS.windowMinutesMax;

/** Most specific first: tenant + meter, tenant, meter, everyone. */
function specificity(rule: AlertRule): number {
  return (rule.tenantId !== null ? 2 : 0) + (rule.meter !== null ? 1 : 0);
}

function matching(rules: readonly AlertRule[], tenantId: string, meter: string | null): AlertRule[] {
  return rules
    .filter((r) => (r.tenantId === null || r.tenantId === tenantId) && (r.meter === null || r.meter === meter))
    .sort((a, b) => specificity(b) - specificity(a));
}

/** Each setting comes from the most specific matching rule that sets it. */
function pick<K extends 'sensitivity' | 'windowMinutes' | 'minVolume' | 'budgetLevels'>(rules: readonly AlertRule[], key: K): AlertRule[K] {
  for (const rule of rules) if (rule[key] !== null) return rule[key];
  return null as AlertRule[K];
}

/** The detection parameters for one (tenant, meter) pair. */
export function detectionParamsFor(
  rules: readonly AlertRule[],
  tenantId: string,
  meter: string,
  defaults: ScanDefaults = DEFAULT_SCAN,
): DetectionParams {
  const applicable = matching(rules, tenantId, meter);
  const windowMinutes = pick(applicable, 'windowMinutes') ?? defaults.intervalMinutes;
  return {
    ...DEFAULT_DETECTION,
    baselineDays: defaults.baselineDays,
    windowBuckets: Math.max(1, Math.ceil(Math.min(windowMinutes, MAX_WINDOW_MINUTES) / defaults.intervalMinutes)),
    minVolume: pick(applicable, 'minVolume') ?? defaults.minVolume,
    sensitivity: pick(applicable, 'sensitivity') ?? defaults.sensitivity,
  };
}

/** The budget levels (percent) for a tenant: a tenant rule, else a rule for everyone, else 50/80/100. */
export function budgetLevelsFor(rules: readonly AlertRule[], tenantId: string): readonly number[] {
  return (
    pick(
      matching(rules, tenantId, null).filter((r) => r.meter === null),
      'budgetLevels',
    ) ?? DEFAULT_BUDGET_LEVELS
  );
}
