import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DUNNING_SCHEDULE_DAYS,
  GATEWAY_RETRY_MS,
  attemptDueAt,
  attemptOutcome,
  attemptUnanswered,
  finalAnswer,
  noteAnswer,
  type GatewayAnswers,
  attemptsLeft,
  beginAttempt,
  markedOutcome,
  nextAttemptAt,
  startDunning,
} from './schedule.ts';

const started = Date.parse('2027-03-01T10:00:00.000Z');
const day = (n: number) => started + n * 86_400_000;

describe('the dunning schedule', () => {
  it('tries at each offset of the default schedule, counting each attempt once', () => {
    const p = startDunning(started, DEFAULT_DUNNING_SCHEDULE_DAYS);
    const due: string[] = [];
    while (attemptsLeft(p)) {
      due.push(new Date(attemptDueAt(p)).toISOString());
      beginAttempt(p);
    }
    expect(due).toEqual(['2027-03-01T10:00:00.000Z', '2027-03-04T10:00:00.000Z', '2027-03-06T10:00:00.000Z', '2027-03-08T10:00:00.000Z']);
    expect(p.attempts).toBe(4);
    expect(nextAttemptAt(p)).toBeNull();
  });

  it('reports the next scheduled attempt after one is made (what the payment_failed event says)', () => {
    const p = startDunning(started, [0, 3]);
    expect(nextAttemptAt(p)).toBe('2027-03-01T10:00:00.000Z');
    beginAttempt(p);
    expect(nextAttemptAt(p)).toBe('2027-03-04T10:00:00.000Z');
    beginAttempt(p);
    expect(nextAttemptAt(p)).toBeNull();
    expect(attemptsLeft(p)).toBe(false);
  });

  it('an empty schedule makes no attempt', () => {
    const p = startDunning(started, []);
    expect(attemptsLeft(p)).toBe(false);
    expect(nextAttemptAt(p)).toBeNull();
  });

  it('a payment method update adds an attempt now and keeps the schedule’s next day', () => {
    const p = startDunning(started, [0, 3]);
    beginAttempt(p); // day 0, declined
    p.retryNow = true;
    beginAttempt(p); // at once, on top of the schedule
    expect([p.attempts, p.next, p.retryNow]).toEqual([2, 1, false]);
    expect(attemptDueAt(p)).toBe(day(3));
    beginAttempt(p);
    expect([p.attempts, attemptsLeft(p)]).toEqual([3, false]);
  });

  it('an attempt the gateway did not answer is the same attempt an hour later, and the schedule waits', () => {
    const p = startDunning(started, [0, 3]);
    beginAttempt(p);
    const now = day(0) + 5_000;
    attemptUnanswered(p, now);
    expect(attemptDueAt(p)).toBe(now + GATEWAY_RETRY_MS);
    expect(nextAttemptAt(p)).toBe(new Date(now + GATEWAY_RETRY_MS).toISOString());
    // Even after the last scheduled attempt, the unanswered one remains.
    beginAttempt(p);
    expect([p.attempts, p.next, p.retryAt]).toEqual([1, 1, null]);
    beginAttempt(p);
    attemptUnanswered(p, day(3));
    expect(attemptsLeft(p)).toBe(true);
    p.retryNow = true;
    beginAttempt(p); // a payment method update while it waits tries the same attempt, once
    expect([p.attempts, p.retryNow, p.retryAt, attemptsLeft(p)]).toEqual([2, false, null, false]);
  });
});

describe('what an outcome means', () => {
  it('a collected attempt, or an invoice found paid, is paid; anything else settled it otherwise', () => {
    expect(attemptOutcome({ outcome: 'succeeded', invoiceStatus: 'paid' })).toBe('paid');
    expect(attemptOutcome({ outcome: 'settled', invoiceStatus: 'paid' })).toBe('paid');
    expect(attemptOutcome({ outcome: 'settled', invoiceStatus: 'void' })).toBe('stopped');
    expect(attemptOutcome({ outcome: 'settled', invoiceStatus: 'uncollectible' })).toBe('stopped');
  });

  it('after the last decline, only an invoice marked uncollectible is uncollectible', () => {
    expect(markedOutcome('uncollectible')).toBe('uncollectible');
    expect(markedOutcome('paid')).toBe('paid');
    expect(markedOutcome('void')).toBe('stopped');
    expect(markedOutcome('finalized')).toBe('stopped');
  });
});

describe('the answers a dunning run keeps', () => {
  it('a final answer is not replaced by a late requires_action, and a repeat changes nothing', () => {
    const answers: GatewayAnswers = new Map();
    const base = { idempotencyKey: 'inv:1', reference: 'pi_1', reason: null };
    noteAnswer(answers, { ...base, outcome: 'requires_action' });
    expect(finalAnswer(answers.get('inv:1'))).toBe(false);
    noteAnswer(answers, { ...base, outcome: 'succeeded' });
    noteAnswer(answers, { ...base, outcome: 'requires_action' });
    noteAnswer(answers, { ...base, outcome: 'succeeded' });
    expect(answers.get('inv:1')?.outcome).toBe('succeeded');
  });
});
