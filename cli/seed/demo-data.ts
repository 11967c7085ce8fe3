// The demo a new DATA_DIR starts with: what a small AI-API business would meter and sell.
// Amounts and quantities are decimal strings, as the API takes them.

export const DEMO_METERS = [
  { code: 'api_calls', name: 'API calls', eventType: 'api.request', aggregation: 'count', groupBy: ['endpoint'] },
  { code: 'tokens', name: 'Model tokens', eventType: 'llm.completion', aggregation: 'sum', valueProperty: 'tokens', groupBy: ['model'] },
  { code: 'storage_gb', name: 'Peak storage (GB)', eventType: 'storage.snapshot', aggregation: 'max', valueProperty: 'gb' },
] as const;

export const DEMO_PLANS = [
  {
    code: 'starter',
    name: 'Starter',
    currency: 'USD',
    interval: 'month',
    baseFee: '29.00',
    trialDays: 0,
    gracePeriodSeconds: 60,
    charges: [
      { meter: 'api_calls', model: 'per_unit', unitPrice: '0.002', freeUnits: '1000' },
      { meter: 'storage_gb', model: 'package', packageSize: 10, packagePrice: '5.00' },
    ],
  },
  {
    code: 'growth',
    name: 'Growth',
    currency: 'USD',
    interval: 'month',
    baseFee: '199.00',
    trialDays: 14,
    gracePeriodSeconds: 60,
    charges: [
      {
        meter: 'api_calls',
        model: 'volume',
        tiers: [
          { upTo: '100000', unitPrice: '0.0015' },
          { upTo: null, unitPrice: '0.001' },
        ],
      },
      {
        meter: 'tokens',
        model: 'graduated',
        tiers: [
          { upTo: '1000000', unitPrice: '0.000002', flatFee: '0' },
          { upTo: null, unitPrice: '0.0000015' },
        ],
        minimum: '10.00',
      },
    ],
  },
] as const;

export const DEMO_TENANTS = [
  { name: 'Acme Robotics', externalId: 'acme', email: 'billing@acme.example', taxRate: '0.2', budget: '500', plan: 'growth', monthsAgo: 2 },
  { name: 'Globex', externalId: 'globex', email: 'ap@globex.example', taxRate: '0', budget: '100', plan: 'starter', monthsAgo: 1 },
  { name: 'Initech', externalId: 'initech', email: 'finance@initech.example', taxRate: '0.08', plan: 'starter', monthsAgo: 0 },
] as const;

const ENDPOINTS = ['/v1/chat', '/v1/embed', '/v1/search'];
const MODELS = ['small', 'large'];

/**
 * Usage for one tenant over the last `days` days, spread through each day. A simple
 * linear congruential generator keeps the demo identical on every machine.
 */
export function demoEvents(externalId: string, now: Date, days: number, perDay: number) {
  let seed = [...externalId].reduce((s, c) => s * 31 + c.charCodeAt(0), 7) >>> 0;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  const events = [];
  for (let d = days; d >= 1; d--) {
    for (let i = 0; i < perDay; i++) {
      const time = new Date(now.getTime() - d * 86_400_000 + Math.floor((i / perDay) * 86_400_000));
      const kind = next();
      const id = `demo-${externalId}-${d}-${i}`;
      if (kind < 0.6)
        events.push({
          id,
          type: 'api.request',
          time: time.toISOString(),
          subject: externalId,
          data: { endpoint: ENDPOINTS[Math.floor(next() * 3)] },
        });
      else if (kind < 0.95)
        events.push({
          id,
          type: 'llm.completion',
          time: time.toISOString(),
          subject: externalId,
          data: { model: MODELS[Math.floor(next() * 2)], tokens: String(200 + Math.floor(next() * 3800)) },
        });
      else
        events.push({
          id,
          type: 'storage.snapshot',
          time: time.toISOString(),
          subject: externalId,
          data: { gb: (5 + next() * 40).toFixed(3) },
        });
    }
  }
  return events;
}
