import Koa from 'koa';
import { pino } from 'pino';
import request from 'supertest';
import { sql, type DatabasePool } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { freePort } from '../../test/harness/free-port.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { errorMiddleware } from './error-middleware.ts';
import { isTransientStoreFailure } from './transient-failure.ts';
import document from '../openapi.json' with { type: 'json' };

// Real failures of a real PostgreSQL, each caught as slonik raises it, then thrown by a route:
// a busy or unreachable store is a 503 with Retry-After that changed nothing; a request's own
// fault is never mistaken for one.
let db: TestDatabase;
let owner: DatabasePool;

/** What `work` throws (it must throw). */
async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the work to fail');
}

/** The answer of an app whose only route throws `err`. */
function answerTo(err: unknown) {
  const app = new Koa();
  app.use(errorMiddleware(pino({ level: 'silent' })));
  app.use(() => {
    throw err;
  });
  return request(app.callback()).post('/anything');
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await createPgPool(db.ownerUrl, { maxPoolSize: 4 });
  await owner.query(sql.unsafe`CREATE TABLE probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
  await owner.query(sql.unsafe`INSERT INTO probe (id) VALUES (1), (2)`);
}, 60_000);
afterAll(async () => {
  await owner?.end();
  await db?.drop();
});

/** Two transactions that take the two rows in opposite order: PostgreSQL breaks the deadlock by failing one. */
async function deadlock(): Promise<unknown> {
  let release!: () => void;
  const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
  let holding = 0;
  const take = (first: number, second: number) =>
    owner.transaction(async (tx) => {
      await tx.query(sql.unsafe`UPDATE probe SET n = n + 1 WHERE id = ${first}`);
      if ((holding += 1) === 2) release();
      await bothHoldOne;
      await tx.query(sql.unsafe`UPDATE probe SET n = n + 1 WHERE id = ${second}`);
    });
  const outcomes = await Promise.allSettled([take(1, 2), take(2, 1)]);
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  expect(failed).toHaveLength(1);
  return failed[0]!.reason;
}

describe('a store that is busy or out of reach', () => {
  it('a deadlock is a 503 with Retry-After, and the failed transaction changed nothing', async () => {
    const before = await owner.oneFirst(sql.unsafe`SELECT sum(n)::int FROM probe`);
    const err = await deadlock();
    expect((err as { code?: string }).code).toBe('40P01');
    // One transaction committed both of its updates, the other none of its own
    expect(await owner.oneFirst(sql.unsafe`SELECT sum(n)::int FROM probe`)).toBe(Number(before) + 2);
    const res = await answerTo(err);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable', detail: expect.stringContaining('nothing was changed') });
  });

  it('a statement timeout is a 503', async () => {
    const impatient = await createPgPool(db.ownerUrl, { maxPoolSize: 1, statementTimeoutMs: 100 });
    try {
      const err = await caught(() => impatient.query(sql.unsafe`SELECT pg_sleep(2)`));
      expect(isTransientStoreFailure(err)).toBe(true);
      expect((await answerTo(err)).status).toBe(503);
    } finally {
      await impatient.end();
    }
  });

  it('a row lock held past lock_timeout is a 503', async () => {
    const err = await caught(() =>
      owner.transaction(async (holder) => {
        await holder.query(sql.unsafe`SELECT * FROM probe WHERE id = 1 FOR UPDATE`);
        await owner.transaction(async (waiter) => {
          await waiter.query(sql.unsafe`SET LOCAL lock_timeout = '50ms'`);
          await waiter.query(sql.unsafe`UPDATE probe SET n = n + 1 WHERE id = 1`);
        });
      }),
    );
    expect((err as { code?: string }).code).toBe('55P03');
    expect((await answerTo(err)).status).toBe(503);
  });

  it('a database nobody listens on is a 503', async () => {
    const port = await freePort();
    let nowhere: DatabasePool | undefined;
    try {
      // (slonik connects once when the pool is created, so the refusal may come from either step)
      const err = await caught(async () => {
        nowhere = await createPgPool(`postgres://nobody:x@127.0.0.1:${port}/none`, { maxPoolSize: 1 });
        await nowhere.query(sql.unsafe`SELECT 1`);
      });
      expect(isTransientStoreFailure(err)).toBe(true);
      expect((await answerTo(err)).status).toBe(503);
    } finally {
      await nowhere?.end();
    }
  });

  it("the request's own fault is still not a 503: a unique violation and a check violation stay 500s of the caller's code", async () => {
    const unique = await caught(() => owner.query(sql.unsafe`INSERT INTO probe (id) VALUES (1)`));
    const check = await caught(() => owner.query(sql.unsafe`INSERT INTO probe (id, n) VALUES (3, NULL)`));
    for (const err of [unique, check, new Error('a bug')]) {
      expect(isTransientStoreFailure(err)).toBe(false);
      const res = await answerTo(err);
      expect(res.status).toBe(500);
      expect(res.headers['retry-after']).toBeUndefined();
    }
  });

  it('every operation of the OpenAPI document declares the 503', () => {
    const missing = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { responses?: Record<string, unknown> }>)
        .filter(([, op]) => op.responses && !('503' in op.responses))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
