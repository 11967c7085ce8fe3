import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { useTestEnvironment } from '../../test/harness/environment.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';

const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const path = (tenantId: string) => `/api/tenants/${tenantId}/payment-settings`;
// Operator scope: row-level security would show an unscoped count nothing at all.
const storedRows = (tenantId: string) =>
  withOperator(env.db.pool, (tx) =>
    tx.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM tenant_payment_settings WHERE tenant_id = ${tenantId}`,
    ),
  );

describe('payment settings', () => {
  it('a tenant that never set any reads the defaults, and its customer reads them too', async () => {
    const { b } = env.api.tenants;
    for (const token of [env.api.tokens.finance, env.api.tokens.customerB]) {
      const res = await env.api.request.get(path(b.id)).set(auth(token));
      expect(res.status).toBe(200);
      expectResponseMatchesSpec('GET', path(b.id), res);
      expect(res.body).toEqual({
        tenantId: b.id,
        gateway: 'builtin',
        declineFirstAttempts: 0,
        transientFailuresPerAttempt: 0,
        chargeDelayMs: 0,
      });
    }
  });

  it("a customer asking for another tenant's settings gets 404", async () => {
    await env.api.request.put(path(env.api.tenants.a.id)).set(auth(env.api.tokens.finance)).send({ declineFirstAttempts: 3 }).expect(200);
    const res = await env.api.request.get(path(env.api.tenants.a.id)).set(auth(env.api.tokens.customerB));
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
  });

  it('the largest allowed values are stored; one more is 400 naming the field, and nothing changes', async () => {
    const { a } = env.api.tenants;
    const largest = { declineFirstAttempts: 100, transientFailuresPerAttempt: 10, chargeDelayMs: 60_000 };
    const ok = await env.api.request.put(path(a.id)).set(auth(env.api.tokens.finance)).send(largest);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject(largest);
    const bad = await env.api.request
      .put(path(a.id))
      .set(auth(env.api.tokens.finance))
      .send({ ...largest, chargeDelayMs: 60_001 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['chargeDelayMs']);
    expect((await env.api.request.get(path(a.id)).set(auth(env.api.tokens.finance))).body).toMatchObject(largest);
  });

  it('a tenant that does not exist is 404 and nothing is stored for it', async () => {
    const nobody = randomUUID();
    const res = await env.api.request.put(path(nobody)).set(auth(env.api.tokens.finance)).send({ declineFirstAttempts: 1 });
    expect(res.status).toBe(404);
    expect(await storedRows(nobody)).toBe(0);
  });

  it('two changes at once leave one row holding one of them', async () => {
    const { b } = env.api.tenants;
    const sent = [1, 2].map((n) => env.api.request.put(path(b.id)).set(auth(env.api.tokens.finance)).send({ declineFirstAttempts: n }));
    expect((await Promise.all(sent)).map((r) => r.status)).toEqual([200, 200]);
    expect(await storedRows(b.id)).toBe(1);
    expect([1, 2]).toContain((await env.api.request.get(path(b.id)).set(auth(env.api.tokens.finance))).body.declineFirstAttempts);
  });

  it('a customer may not change them (403), even their own', async () => {
    const res = await env.api.request.put(path(env.api.tenants.b.id)).set(auth(env.api.tokens.customerB)).send({ declineFirstAttempts: 1 });
    expect(res.status).toBe(403);
  });
});
