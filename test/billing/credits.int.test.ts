import { randomUUID } from 'node:crypto';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { until } from '../harness/until.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { startBillingApi, stopBillingApi, writeYearInvoice, type BillingHarness } from '../harness/billing.ts';
import { createActivities } from '../../activities/index.ts';
import type { PlanInput } from '../../domain/pricing/index.ts';

// Credit grants and the ledger, over HTTP, with the real billing worker on the time-skipping
// server: a grant pays the next invoice after tax, to the cent and once, a void gives it back,
// and nobody outside the tenant (or without a finance role) reads or grants it.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const DAY = 86_400_000;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const finance = () => auth(api.tokens.finance);

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([
    { code: 'cr_a', name: 'Meter A', eventType: 'cr.a', aggregation: 'count' },
    { code: 'cr_b', name: 'Meter B', eventType: 'cr.b', aggregation: 'count' },
    { code: 'cr_c', name: 'Meter C (on no plan)', eventType: 'cr.c', aggregation: 'count' },
  ]));
});
afterAll(async () => stopBillingApi({ env, h }));

const grant = (tenantId: string, body: object, headers: Record<string, string> = finance()) =>
  api.request.post(`/api/tenants/${tenantId}/credit-grants`).set(headers).send(body);
const ledger = async (tenantId: string) => (await api.request.get(`/api/tenants/${tenantId}/credit-ledger?limit=200`).set(finance())).body;
const balance = async (tenantId: string) => (await api.request.get(`/api/tenants/${tenantId}/credit-balance`).set(finance())).body;
const grantRows = (tenantId: string) => h.ownerQuery('SELECT id FROM credit_grants WHERE tenant_id = $1', [tenantId]);

/**
 * A tenant (tax 25 %) on a yearly plan of 99.99 (or `plan`), its subscription back-dated so that
 * its first invoice (124.99 without charges) is due at once. `before` runs first, with the
 * instant the first period starts: grants, and usage of that period.
 */
async function backdated(
  name: string,
  before: (tenantId: string, periodStart: number) => Promise<void>,
  plan: { baseFee: string; charges: PlanInput['charges'] } = { baseFee: '99.99', charges: [] },
) {
  const tenant = await h.createTenant({ name, taxRate: '0.25' });
  expect(
    (await api.request.put(`/api/tenants/${tenant.id}/payment-settings`).set(finance()).send({ declineFirstAttempts: 100 })).status,
  ).toBe(200);
  const now = await env.currentTimeMs();
  await before(tenant.id, now - 400 * DAY);
  const created = await h.createPlan({ code: `p-${name}`, name, currency: 'USD', interval: 'year', gracePeriodSeconds: 0, ...plan });
  const sub = await h.subscriptions.create({ tenantId: tenant.id, planId: created.id, startAt: new Date(now - 400 * DAY) }, new Date(now));
  const invoice = await until('the first invoice to be finalized', async () =>
    (await h.invoicesOf(sub.id)).find((i) => i.status !== 'draft'),
  );
  return { tenant, plan: created, sub, invoice };
}

type Entry = { kind: string; amount: string; invoiceId?: string; lineId?: string; grantId: string; balanceAfter: string };
const lineOf = async (invoiceId: string, where: string) =>
  (await h.ownerQuery<{ id: string }>(`SELECT id FROM invoice_lines WHERE invoice_id = $1 AND ${where}`, [invoiceId]))[0]!.id;
/** The invoice's stored credit against its burns in the ledger, in minor units. */
const creditFigures = async (invoiceId: string) =>
  (
    await h.ownerQuery<{ total: string; applied: string; burnt: string }>(
      `SELECT i.total_minor::text AS total, i.credit_applied_minor::text AS applied,
         (SELECT coalesce(-sum(amount_minor), 0)::text FROM credit_ledger_entries WHERE invoice_id = i.id AND kind = 'burn') AS burnt
       FROM invoices i WHERE i.id = $1`,
      [invoiceId],
    )
  )[0]!;

describe('POST /api/tenants/:id/credit-grants', () => {
  it('answers 201 with the grant and what is left of it; bad input is 400 naming the field, and writes nothing', async () => {
    const tenant = await h.createTenant({ name: `grants-${randomUUID()}` });
    const ok = await grant(tenant.id, { amount: '12.50', currency: 'USD', reason: 'goodwill' });
    expectResponseMatchesSpec('POST', `/api/tenants/${tenant.id}/credit-grants`, ok);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ amount: '12.50', remaining: '12.50', currency: 'USD', priority: 0, source: 'grant', expiresAt: null });

    const cases: [object, string][] = [
      [{ amount: 'ten', currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: '0', currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: '-1.00', currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: '1.001', currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: 12.5, currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: '92233720368547758.08', currency: 'USD', reason: 'r' }, 'amount'],
      [{ amount: '1.00', currency: 'EUR', reason: 'r' }, 'currency'],
      [{ amount: '1.00', currency: 'USD', reason: '' }, 'reason'],
      [{ amount: '1.00', currency: 'USD', reason: 'r', appliesTo: ['no-such-meter'] }, 'appliesTo'],
      [{ amount: '1.00', currency: 'USD', reason: 'r', appliesTo: [] }, 'appliesTo'],
      [{ amount: '1.00', currency: 'USD', reason: 'r', priority: -1 }, 'priority'],
      [
        { amount: '1.00', currency: 'USD', reason: 'r', effectiveAt: '2027-01-02T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z' },
        'expiresAt',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await grant(tenant.id, body);
      expectResponseMatchesSpec('POST', `/api/tenants/${tenant.id}/credit-grants`, res);
      expect([res.status, res.body.errors?.[0]?.field], JSON.stringify(body)).toEqual([400, field]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await grantRows(tenant.id)).toHaveLength(1);

    // The largest amount a stored grant can hold is accepted, and is exact.
    const largest = await grant(tenant.id, { amount: '92233720368547758.07', currency: 'USD', reason: 'largest' });
    expect([largest.status, largest.body.remaining]).toEqual([201, '92233720368547758.07']);
    expect(await h.ownerQuery('SELECT amount_minor::text AS a FROM credit_grants WHERE id = $1', [largest.body.id])).toEqual([
      { a: '9223372036854775807' },
    ]);

    // Each grant fits a bigint; their sum does not. The balance and the ledger's running
    // balance are still exact, not a 500.
    const again = await grant(tenant.id, { amount: '92233720368547758.07', currency: 'USD', reason: 'largest again' });
    expect(again.status).toBe(201);
    const total = '184467440737095528.64'; // 12.50 + 2 × 92233720368547758.07
    const b = await api.request.get(`/api/tenants/${tenant.id}/credit-balance`).set(finance());
    expectResponseMatchesSpec('GET', `/api/tenants/${tenant.id}/credit-balance`, b);
    expect([b.status, b.body.granted, b.body.available]).toEqual([200, total, total]);
    const entries = (await ledger(tenant.id)).items as Entry[];
    expect(entries.map((e) => e.balanceAfter)).toEqual(['12.50', '92233720368547770.57', total]);
  });

  it('is 403 for a customer, even of the tenant; another tenant’s customer gets 404 on the ledger and the balance', async () => {
    const a = api.tenants.a.id;
    const own = await grant(a, { amount: '1.00', currency: 'USD', reason: 'self-service' }, auth(api.tokens.customerA));
    expect(own.status).toBe(403);
    for (const path of [`/api/tenants/${a}/credit-ledger`, `/api/tenants/${a}/credit-balance`]) {
      const other = await api.request.get(path).set(auth(api.tokens.customerB));
      expectResponseMatchesSpec('GET', path, other);
      expect(other.status).toBe(404);
      expect((await api.request.get(path).set(auth(api.tokens.customerA))).status).toBe(200);
    }
    expect((await grant(a, { amount: '1.00', currency: 'USD', reason: 'x' }, auth(api.tokens.customerB))).status).toBe(403);
  });

  it('makes a retried grant a no-op: the same Idempotency-Key twice at once is one grant', async () => {
    const tenant = await h.createTenant({ name: `idem-${randomUUID()}` });
    const body = { amount: '40.00', currency: 'USD', reason: 'retry me' };
    const headers = { ...finance(), 'Idempotency-Key': `k-${randomUUID()}` };
    const both = await Promise.all([grant(tenant.id, body, headers), grant(tenant.id, body, headers)]);
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    expect(both[0]!.body.id).toBe(both[1]!.body.id);
    expect(await grantRows(tenant.id)).toHaveLength(1);
    expect((await balance(tenant.id)).remaining).toBe('40.00');
    const other = await grant(tenant.id, { ...body, amount: '41.00' }, headers);
    expect([other.status, other.body.errors?.[0]?.field]).toEqual([422, 'Idempotency-Key']);
  });
});

describe('invoices with credits', () => {
  it('a back-dated subscription with a grant: creditApplied, amountDue and the burns agree to the cent; a void reverses the burns', async () => {
    const { tenant, invoice } = await backdated(`with-credit-${randomUUID()}`, async (tenantId) => {
      expect((await grant(tenantId, { amount: '30.07', currency: 'USD', reason: 'first' })).status).toBe(201);
      expect((await grant(tenantId, { amount: '10.00', currency: 'USD', reason: 'second', priority: 5 })).status).toBe(201);
    });
    const res = await api.request.get(`/api/invoices/${invoice.id}`).set(finance());
    expect(res.body).toMatchObject({ subtotal: '99.99', tax: '25.00', total: '124.99', creditApplied: '40.07', amountDue: '84.92' });
    // The stored invoice and the ledger tell the same story to the cent.
    expect(await creditFigures(invoice.id)).toEqual({ total: '12499', applied: '4007', burnt: '4007' });
    // Dunning asks for the amount due, not the total.
    await until(
      'the first attempt',
      async () => (await h.ownerQuery('SELECT 1 FROM payment_attempts WHERE invoice_id = $1', [invoice.id])).length > 0,
    );
    expect(await h.ownerQuery('SELECT amount_minor::text AS a FROM payment_attempts WHERE invoice_id = $1', [invoice.id])).toEqual([
      { a: '8492' },
    ]);

    const baseFee = (
      await h.ownerQuery<{ id: string }>("SELECT id FROM invoice_lines WHERE invoice_id = $1 AND type = 'base_fee'", [invoice.id])
    )[0]!.id;
    const burns = (await ledger(tenant.id)).items.filter((e: { kind: string }) => e.kind === 'burn');
    // Priority 0 first, then priority 5; both pay the base fee line of this invoice.
    expect(burns.map((e: { amount: string; invoiceId: string; lineId: string }) => [e.amount, e.invoiceId, e.lineId])).toEqual([
      ['-30.07', invoice.id, baseFee],
      ['-10.00', invoice.id, baseFee],
    ]);
    expect(await balance(tenant.id)).toMatchObject({ granted: '40.07', consumed: '40.07', remaining: '0.00' });

    await until(
      'the attempt to be declined',
      async () => (await h.invoicesOf(invoice.subscription_id)).find((i) => i.id === invoice.id)?.status === 'payment_failed',
    );
    expect((await api.request.post(`/api/invoices/${invoice.id}/void`).set(finance())).status).toBe(200);
    const after = (await ledger(tenant.id)).items;
    expect(after.slice(-2).map((e: { kind: string; amount: string; lineId: string }) => [e.kind, e.amount, e.lineId])).toEqual([
      ['reversal', '30.07', baseFee],
      ['reversal', '10.00', baseFee],
    ]);
    expect(after.at(-1).balanceAfter).toBe('40.07');
    expect(await balance(tenant.id)).toMatchObject({ consumed: '0.00', remaining: '40.07' });
    expect(
      await h.ownerQuery('SELECT coalesce(sum(amount_minor), 0)::text AS s FROM credit_ledger_entries WHERE invoice_id = $1', [invoice.id]),
    ).toEqual([{ s: '0' }]);
    // A second void is refused and reverses nothing more.
    expect((await api.request.post(`/api/invoices/${invoice.id}/void`).set(finance())).status).toBe(409);
    expect((await ledger(tenant.id)).items).toHaveLength(after.length);
  });

  it('an invoice fully covered by credit is paid on issue, with nothing to collect', async () => {
    const { tenant, invoice } = await backdated(`covered-${randomUUID()}`, async (tenantId) => {
      expect((await grant(tenantId, { amount: '200.00', currency: 'USD', reason: 'prepaid' })).status).toBe(201);
    });
    expect(invoice.status).toBe('paid');
    const res = await api.request.get(`/api/invoices/${invoice.id}`).set(finance());
    expect(res.body).toMatchObject({ total: '124.99', creditApplied: '124.99', amountDue: '0.00', status: 'paid' });
    expect(await h.ownerQuery('SELECT 1 FROM payment_attempts WHERE invoice_id = $1', [invoice.id])).toEqual([]);
    expect((await balance(tenant.id)).remaining).toBe('75.01');
  });

  it('two invoices of one tenant finalizing at once never burn the same credit twice', async () => {
    const { tenant, plan, sub } = await backdated(`two-at-once-${randomUUID()}`, async () => {});
    expect((await grant(tenant.id, { amount: '150.00', currency: 'USD', reason: 'shared' })).status).toBe(201);
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    const drafts = await Promise.all(
      [2001, 2002].map((year) => writeYearInvoice(activities, { tenantId: tenant.id, subscriptionId: sub.id, plan, year })),
    );
    const issuedAt = new Date(await env.currentTimeMs()).toISOString();
    await Promise.all(drafts.map((invoiceId) => activities.finalizeInvoice({ invoiceId, tenantId: tenant.id, issuedAt })));
    const applied = await h.ownerQuery<{ c: string }>(
      'SELECT credit_applied_minor::text AS c FROM invoices WHERE id = ANY($1) ORDER BY 1',
      [drafts],
    );
    // 150.00 over two invoices of 124.99: one takes all it can, the other the rest.
    expect(applied.map((r) => r.c).sort()).toEqual(['12499', '2501']);
    expect(
      await h.ownerQuery("SELECT sum(amount_minor)::text AS s FROM credit_ledger_entries WHERE tenant_id = $1 AND kind = 'burn'", [
        tenant.id,
      ]),
    ).toEqual([{ s: '-15000' }]);
    expect((await balance(tenant.id)).remaining).toBe('0.00');
  });

  it('a grant scoped to one meter pays only that meter’s usage line (with its tax), never the base fee or another meter', async () => {
    // Base fee 10.00, meter A 5 × 2.00, meter B 4 × 3.00: subtotal 32.00, tax 8.00, total 40.00.
    // The tax spreads in proportion to the lines, so meter A's line costs 10.00 + 2.50 with tax.
    const { tenant, invoice } = await backdated(
      `scoped-${randomUUID()}`,
      async (tenantId, periodStart) => {
        const at = (i: number) => new Date(periodStart + 30 * DAY + i * 1000);
        await h.sendEvents(tenantId, [
          ...[0, 1, 2, 3, 4].map((i) => ({ id: `a-${i}`, type: 'cr.a', time: at(i) })),
          ...[0, 1, 2, 3].map((i) => ({ id: `b-${i}`, type: 'cr.b', time: at(i) })),
        ]);
        expect((await grant(tenantId, { amount: '100.00', currency: 'USD', reason: 'A only', appliesTo: ['cr_a'] })).status).toBe(201);
        // Scoped to a meter this plan does not charge: it pays nothing on this invoice.
        expect((await grant(tenantId, { amount: '50.00', currency: 'USD', reason: 'C only', appliesTo: ['cr_c'] })).status).toBe(201);
      },
      {
        baseFee: '10.00',
        charges: [
          { meter: 'cr_a', model: 'per_unit', unitPrice: '2.00' },
          { meter: 'cr_b', model: 'per_unit', unitPrice: '3.00' },
        ],
      },
    );
    const res = await api.request.get(`/api/invoices/${invoice.id}`).set(finance());
    expect(res.body).toMatchObject({ subtotal: '32.00', tax: '8.00', total: '40.00', creditApplied: '12.50', amountDue: '27.50' });
    expect(await creditFigures(invoice.id)).toEqual({ total: '4000', applied: '1250', burnt: '1250' });
    const lineA = await lineOf(invoice.id, "meter = 'cr_a'");
    const burns = ((await ledger(tenant.id)).items as Entry[]).filter((e) => e.kind === 'burn');
    expect(burns.map((e) => [e.amount, e.invoiceId, e.lineId])).toEqual([['-12.50', invoice.id, lineA]]);
    const grants = (await balance(tenant.id)).grants as { reason: string; remaining: string }[];
    expect(grants.map((g) => [g.reason, g.remaining])).toEqual([
      ['A only', '87.50'],
      ['C only', '50.00'],
    ]);
    // From the burn's line, the drill-down reaches the five events of meter A.
    const [usage] = await h.ownerQuery<{ f: Date; t: Date }>('SELECT usage_from AS f, usage_to AS t FROM invoice_lines WHERE id = $1', [
      lineA,
    ]);
    const drill = await api.request
      .get('/api/usage/events')
      .query({ tenantId: tenant.id, meter: 'cr_a', from: usage!.f.toISOString(), to: usage!.t.toISOString() })
      .set(finance());
    expect([drill.status, drill.body.items.length]).toEqual([200, 5]);
  });

  it('a negative invoice total becomes one invoice_credit grant, also when finalization is retried, and it pays the next invoice', async () => {
    const { tenant, plan, sub } = await backdated(`negative-${randomUUID()}`, async () => {});
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    // 99.99 − 200.03 = −100.04, tax 25 % −25.01: the tenant is owed 125.05.
    const refund = { type: 'adjustment' as const, description: 'refund of an outage', amount: '-200.03' };
    const negative = await writeYearInvoice(activities, {
      tenantId: tenant.id,
      subscriptionId: sub.id,
      plan,
      year: 2003,
      adjustments: [refund],
    });
    const issuedAt = new Date(await env.currentTimeMs()).toISOString();
    const finalize = (invoiceId: string) => activities.finalizeInvoice({ invoiceId, tenantId: tenant.id, issuedAt });
    const runs = await Promise.all([finalize(negative), finalize(negative)]);
    runs.push(await finalize(negative));
    expect(runs.map((r) => r.status)).toEqual(['paid', 'paid', 'paid']);
    const credit = await h.ownerQuery<{ source: string; amount_minor: string; invoice_id: string }>(
      'SELECT source, amount_minor::text, invoice_id FROM credit_grants WHERE tenant_id = $1',
      [tenant.id],
    );
    expect(credit).toEqual([{ source: 'invoice_credit', amount_minor: '12505', invoice_id: negative }]);
    expect(await creditFigures(negative)).toEqual({ total: '-12505', applied: '0', burnt: '0' });

    // The next invoice (124.99) is paid by that credit; 0.06 stays.
    const next = await writeYearInvoice(activities, { tenantId: tenant.id, subscriptionId: sub.id, plan, year: 2004 });
    expect((await finalize(next)).status).toBe('paid');
    expect(await creditFigures(next)).toEqual({ total: '12499', applied: '12499', burnt: '12499' });
    const entries = (await ledger(tenant.id)).items as Entry[];
    expect(entries.map((e) => [e.kind, e.amount, e.invoiceId ?? null])).toEqual([
      ['invoice_credit', '125.05', null],
      ['burn', '-124.99', next],
    ]);
    expect(entries.at(-1)!.balanceAfter).toBe('0.06');
    expect((await balance(tenant.id)).remaining).toBe('0.06');
  });
});

describe('the sums each grant carries', () => {
  // Runs last: every grant the tests above wrote (grants, burns, reversals, invoice credit).
  it('are the sums of its entries, for every grant in the database', async () => {
    const drift = await h.ownerQuery(
      `SELECT g.id FROM credit_grants g LEFT JOIN LATERAL (
         SELECT coalesce(sum(amount_minor), 0) AS remaining,
           coalesce(-sum(amount_minor) FILTER (WHERE kind IN ('burn', 'reversal')), 0) AS consumed,
           coalesce(-sum(amount_minor) FILTER (WHERE kind IN ('expiry', 'void')), 0) AS expired
         FROM credit_ledger_entries e WHERE e.grant_id = g.id) s ON true
       WHERE (g.remaining_minor, g.consumed_minor, g.expired_minor) IS DISTINCT FROM (s.remaining, s.consumed, s.expired)`,
    );
    expect(await h.ownerQuery('SELECT count(*)::int AS n FROM credit_grants')).not.toEqual([{ n: 0 }]);
    expect(drift).toEqual([]);
  });
});
