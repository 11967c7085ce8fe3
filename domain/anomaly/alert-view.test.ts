import { describe, expect, it } from 'vitest';
import { toAlertView, type AlertRecord } from './alert-view.ts';

const stored = (over: Partial<AlertRecord> = {}): AlertRecord => ({
  id: '00000000-0000-4000-8000-000000000001',
  tenant_id: '00000000-0000-4000-8000-000000000002',
  meter: null,
  event_type: null,
  kind: 'budget_threshold',
  severity: 'warning',
  window_start: new Date('2026-03-01T00:00:00Z'),
  window_end: new Date('2026-04-01T00:00:00Z'),
  level: 80,
  observed: '812.500000000000',
  expected: '1000.000000000000',
  currency: 'USD',
  message: 'm',
  details: { a: 1 },
  created_at: new Date('2026-03-20T10:00:00.123Z'),
  acknowledged_at: null,
  acknowledged_by: null,
  ...over,
});

describe('toAlertView', () => {
  it('prints amounts with the currency’s digits, whatever numeric(…, 12) text the store gave', () => {
    expect(toAlertView(stored())).toMatchObject({ observed: '812.50', expected: '1000.00', currency: 'USD' });
    expect(toAlertView(stored({ currency: 'JPY', observed: '1235.000000000000', expected: null }))).toMatchObject({
      observed: '1235',
      expected: null,
    });
    expect(toAlertView(stored({ currency: 'BHD', observed: '0.125000000000' })).observed).toBe('0.125');
  });

  it('names a spike by its event type, and its meter stays empty: the scan watches event types, not meters', () => {
    const view = toAlertView(stored({ kind: 'usage_spike', event_type: 'api_call', currency: null, level: null }));
    expect(view).toMatchObject({ meter: null, eventType: 'api_call' });
    expect(toAlertView(stored({ kind: 'billing_failed', meter: 'bytes', currency: null, level: null }))).toMatchObject({
      meter: 'bytes',
      eventType: null,
    });
  });

  it('prints counts without trailing zeros when there is no currency', () => {
    const view = toAlertView(stored({ kind: 'usage_spike', currency: null, level: null, observed: '1500.000', expected: '212.5' }));
    expect(view).toMatchObject({ observed: '1500', expected: '212.5', level: null, currency: null });
  });

  it('keeps every digit of the largest value the store holds: no float on the way', () => {
    const largest = '999999999999999999999999999999.999999999999';
    expect(toAlertView(stored({ currency: null, observed: largest })).observed).toBe(largest);
    expect(toAlertView(stored({ currency: 'USD', observed: '999999999999999999999999999999.994999999999' })).observed).toBe(
      '999999999999999999999999999999.99',
    );
  });

  it('does not format an unknown currency as money (the text is kept exact)', () => {
    expect(toAlertView(stored({ currency: 'XYZ1', observed: '12.3400' })).observed).toBe('12.34');
  });

  it('maps times to ISO text and keeps an acknowledgement', () => {
    const view = toAlertView(
      stored({ acknowledged_at: new Date('2026-03-21T00:00:00Z'), acknowledged_by: '00000000-0000-4000-8000-000000000003' }),
    );
    expect(view).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      tenantId: '00000000-0000-4000-8000-000000000002',
      meter: null,
      eventType: null,
      kind: 'budget_threshold',
      severity: 'warning',
      window: { start: '2026-03-01T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z' },
      level: 80,
      observed: '812.50',
      expected: '1000.00',
      currency: 'USD',
      message: 'm',
      details: { a: 1 },
      createdAt: '2026-03-20T10:00:00.123Z',
      acknowledgedAt: '2026-03-21T00:00:00.000Z',
      acknowledgedBy: '00000000-0000-4000-8000-000000000003',
    });
  });
});
