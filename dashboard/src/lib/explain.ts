import type { Schemas } from './types.ts';

/**
 * The tenant page's "why wasn't this event billed?" answer in words: one verdict per meter (or
 * for the event when no meter reads it), from GET /api/usage/events/explain. The API decides
 * everything; this only says it.
 */
export type Explanation = Schemas['UsageEventExplanation'];
type ExplainedEvent = Explanation['events'][number];
type MeterOutcome = ExplainedEvent['meters'][number];

export const REASON_TEXT: Record<Explanation['reasons'][number], string> = {
  no_meter: 'no meter reads this event type',
  filtered_out: 'a filter of the meter leaves it out',
  value_not_numeric: 'the value the meter reads is not a metered number',
  duplicate_of: 'a later delivery of an event already stored: ignored',
  outside_any_subscription: 'no subscription charging the meter covered its time',
  after_final_invoice: 'its period was invoiced before it arrived, and no late-usage invoice has billed it yet',
  late_beyond_horizon: "it arrived after the plan's late-usage horizon: stored, never billed",
};

export type Verdict = { meter: string | null; tone: 'ok' | 'warn' | 'bad'; text: string };

function meterVerdict(m: MeterOutcome): Verdict {
  if (m.status === 'billed') {
    const on = m.subscriptions
      .filter((s) => s.status === 'billed' && s.invoice && s.line)
      .map((s) => `line ${s.line!.position} of ${s.invoice!.number ?? 'a draft invoice'}`);
    return { meter: m.meter, tone: 'ok', text: `counts ${m.value} and was billed on ${on.join(', ')}` };
  }
  if (m.status === 'pending') return { meter: m.meter, tone: 'warn', text: `counts ${m.value}; its period is not invoiced yet` };
  return { meter: m.meter, tone: 'bad', text: `not billed: ${m.reason ? REASON_TEXT[m.reason] : 'unknown'} (${m.detail})` };
}

export function verdicts(e: ExplainedEvent): Verdict[] {
  if (e.reason === 'no_meter') return [{ meter: null, tone: 'bad', text: `not billed: ${REASON_TEXT.no_meter} (${e.winner.type})` }];
  return e.meters.map(meterVerdict);
}
