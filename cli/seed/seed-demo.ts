import { DEMO_METERS, DEMO_PLANS, DEMO_TENANTS, demoEvents } from './demo-data.ts';

export type SeedTarget = { baseUrl: string; adminToken: string; now?: Date; log?: (line: string) => void };

/**
 * Seeds the demo through the public HTTP API, as any client would, so it exercises the
 * same validation and rules. Safe to run twice: existing meters, plans and tenants are
 * kept (409 is expected), and events carry fixed ids, which deduplicate.
 */
export async function seedDemo(t: SeedTarget): Promise<void> {
  const now = t.now ?? new Date();
  const log = t.log ?? (() => {});
  const call = async (method: string, path: string, body?: unknown, auth = `Bearer ${t.adminToken}`) => {
    const res = await fetch(`${t.baseUrl}/api${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = res.status === 204 ? undefined : await res.json().catch(() => undefined);
    if (!res.ok && res.status !== 409) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return { status: res.status, body: json as Record<string, unknown> };
  };

  for (const meter of DEMO_METERS) await call('POST', '/meters', meter);
  const plans: Record<string, string> = {};
  for (const plan of DEMO_PLANS) await call('POST', '/pricing/plans', plan);
  const planList = (await call('GET', '/pricing/plans')).body as { items: { id: string; code: string }[] };
  for (const p of planList.items) plans[p.code] = p.id;

  const tenants = (await call('GET', '/tenants?limit=200')).body as { items: { id: string; externalId: string | null }[] };
  for (const demo of DEMO_TENANTS) {
    const { plan, monthsAgo, ...fields } = demo;
    let tenantId = tenants.items.find((x) => x.externalId === demo.externalId)?.id;
    if (!tenantId) tenantId = (await call('POST', '/tenants', fields)).body.id as string;

    const key = (await call('POST', `/tenants/${tenantId}/api-keys`, { name: 'demo ingest' })).body.key as string;
    const events = demoEvents(demo.externalId, now, 30, 400);
    for (let i = 0; i < events.length; i += 5_000) {
      await call('POST', '/usage/ingest', { events: events.slice(i, i + 5_000) }, `Bearer ${key}`);
    }

    const startAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1));
    await call('POST', '/subscriptions', { tenantId, planId: plans[plan], startAt: startAt.toISOString() });
    log(`seeded ${demo.name}: ${events.length} events, plan ${plan} since ${startAt.toISOString().slice(0, 10)}`);
  }
}
