import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { createPgPool } from '../../db/postgres/pool.ts';
import { appRoleUrl } from '../../db/postgres/app-role.ts';
import { TEMPLATE_DB, APP_PASSWORD } from './constants.ts';

export type TestDatabase = {
  /** Connects as the app role: RLS applies, as in production. */
  pool: DatabasePool;
  ownerUrl: string;
  appUrl: string;
  /** A superuser connection for arranging and inspecting what the app cannot see. */
  owner: () => Promise<pg.Client>;
  drop: () => Promise<void>;
};

async function ownerClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A fresh, migrated database for one test file, cloned from the template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('pgOwnerUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = await ownerClient(serverUrl);
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();
  const appUrl = appRoleUrl(ownerUrl, APP_PASSWORD);
  const pool = await createPgPool(appUrl, { maxPoolSize: 5 });
  return {
    pool,
    ownerUrl,
    appUrl,
    owner: () => ownerClient(ownerUrl),
    drop: async () => {
      await pool.end();
      const a = await ownerClient(serverUrl);
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
