import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { pino } from 'pino';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from './app.ts';
import { createTestClickHouse } from '../test/harness/clickhouse.ts';
import { timeSkippingEnvironment } from '../test/harness/temporal.ts';
import { freePort } from '../test/harness/global-setup.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/postgres/embedded.ts';
import { createPgPool } from '../db/postgres/pool.ts';

// This file stops PostgreSQL on purpose, so it runs its own server, not the shared one.
let pgDir: string;
let pg: EmbeddedPostgres;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let env: TestWorkflowEnvironment;
let app: ReturnType<typeof createApp>;
let pool: Awaited<ReturnType<typeof createPgPool>>;

beforeAll(async () => {
  pgDir = await mkdtemp(join(tmpdir(), 'meterplane-ready-pg-'));
  [pg, ch, env] = await Promise.all([
    freePort().then((port) => startEmbeddedPostgres({ dataDir: pgDir, port })),
    createTestClickHouse(),
    timeSkippingEnvironment(),
  ]);
  pool = await createPgPool(pg.ownerUrl, { maxPoolSize: 2 });
  app = createApp({
    logger: pino({ level: 'silent' }),
    pg: pool,
    clickhouse: ch.client,
    temporal: env.client,
    auth: { jwtSecret: 'x'.repeat(32), issuer: 'meterplane', audience: 'meterplane', ttlSeconds: 3600 },
  });
});
afterAll(async () => {
  await pool?.end().catch(() => {});
  await Promise.all([ch?.dispose(), env?.teardown(), pg?.stop().catch(() => {})]);
  await rm(pgDir, { recursive: true, force: true });
});

describe('createApp', () => {
  it('answers /health while the process is alive', async () => {
    const res = await request(app.koa.callback()).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /ready with every dependency checked', async () => {
    const res = await request(app.koa.callback()).get('/ready');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.checks).sort()).toEqual(['clickhouse', 'postgres', 'temporal']);
  });

  it('turns unknown routes into problem+json 404 with the request id', async () => {
    const res = await request(app.koa.callback()).get('/api/nope').set('X-Request-Id', 'req-123');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found', instance: 'req-123' });
  });

  it('answers /ready 503 naming postgres once PostgreSQL is stopped', async () => {
    await pg.stop();
    const res = await request(app.koa.callback()).get('/ready');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.detail).toBe('not ready: postgres did not answer');
    expect(res.body.checks.postgres.ok).toBe(false);
    expect(res.body.checks.clickhouse.ok).toBe(true);
  });
});
