import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckIntegrityConstraintViolationError } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { withOperator } from './tenant-scope.ts';
import { tenantsRepository } from './tenants-repository.ts';
import { usersRepository } from './users-repository.ts';
import { metersRepository } from './meters-repository.ts';

// The repositories answer a value the database refuses as 'taken' / 'missing' instead of
// leaking slonik's error classes; any other refusal still throws.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const user = (email: string, tenantId: string | null) => ({
  email,
  passwordHash: 'x',
  role: tenantId ? ('customer' as const) : ('admin' as const),
  tenantId,
});

describe('typed write refusals', () => {
  it('a taken email is "taken", and nothing more is written', async () => {
    const email = `taken-${randomUUID()}@example.test`;
    const first = await withOperator(db.pool, (tx) => usersRepository.create(tx, user(email, null)));
    expect(first).toMatchObject({ email });
    expect(await withOperator(db.pool, (tx) => usersRepository.create(tx, user(email, null)))).toBe('taken');
    expect((await withOperator(db.pool, (tx) => usersRepository.findByEmailWithHash(tx, email)))?.id).toBe((first as { id: string }).id);
  });

  it('a user of a tenant that does not exist is "missing"; so is moving one to such a tenant', async () => {
    expect(await withOperator(db.pool, (tx) => usersRepository.create(tx, user(`m-${randomUUID()}@example.test`, randomUUID())))).toBe(
      'missing',
    );
    const created = await withOperator(db.pool, (tx) => usersRepository.create(tx, user(`n-${randomUUID()}@example.test`, null)));
    if (typeof created === 'string') throw new Error(created);
    expect(
      await withOperator(db.pool, (tx) =>
        usersRepository.updateAccess(tx, created.id, { role: 'customer', tenantId: randomUUID(), active: true }),
      ),
    ).toBe('missing');
    expect((await withOperator(db.pool, (tx) => usersRepository.findById(tx, created.id)))?.role).toBe('admin');
  });

  it('two tenants created at once with one externalId: one row, the other "taken"', async () => {
    const externalId = `ext-${randomUUID()}`;
    const results = await Promise.all(
      [0, 1].map(() => withOperator(db.pool, (tx) => tenantsRepository.create(tx, { name: 'Twin', externalId }))),
    );
    expect(results.filter((r) => r === 'taken')).toHaveLength(1);
    const [other] = await withOperator(db.pool, (tx) => tenantsRepository.list(tx, { limit: 10, offset: 0, search: externalId }));
    expect(other?.external_id).toBe(externalId);
    expect(await withOperator(db.pool, (tx) => tenantsRepository.count(tx, externalId))).toBe(1);
  });

  it('changing a tenant to an externalId another holds is "taken"; an unknown tenant is null', async () => {
    const [a, b] = await withOperator(db.pool, async (tx) => [
      await tenantsRepository.insert(tx, { name: 'A', externalId: `a-${randomUUID()}` }),
      await tenantsRepository.insert(tx, { name: 'B', externalId: `b-${randomUUID()}` }),
    ]);
    expect(await withOperator(db.pool, (tx) => tenantsRepository.change(tx, b!.id, { externalId: a!.external_id! }))).toBe('taken');
    expect(await withOperator(db.pool, (tx) => tenantsRepository.change(tx, randomUUID(), { externalId: `c-${randomUUID()}` }))).toBeNull();
  });

  it('a taken meter code is "taken"; a value a CHECK refuses still throws', async () => {
    const code = `m_${randomUUID().slice(0, 8)}`;
    const meter = parseMeter({ code, name: 'M', eventType: 'm', aggregation: 'count' });
    expect(await metersRepository.create(db.pool, meter)).toMatchObject({ code });
    expect(await metersRepository.create(db.pool, meter)).toBe('taken');
    await expect(withOperator(db.pool, (tx) => tenantsRepository.create(tx, { name: 'Neg', taxRate: '-1' }))).rejects.toThrow(
      CheckIntegrityConstraintViolationError,
    );
  });
});
