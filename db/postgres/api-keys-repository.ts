import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

export const apiKeyRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  prefix: z.string(),
  // The CHECK constraint admits only these; parsing again keeps a hand-edited row out of authorisation.
  scopes: z.array(z.enum(['ingest', 'read'])).min(1),
  created_at: z.date(),
  last_used_at: z.date().nullable(),
  revoked_at: z.date().nullable(),
});
export type ApiKeyRow = z.infer<typeof apiKeyRow>;

const columns = sql.fragment`id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at`;

export const apiKeysRepository = {
  insert: (
    tx: Tx,
    k: {
      tenantId: string;
      name: string;
      prefix: string;
      keyHash: Buffer;
      scopes: readonly ApiKeyRow['scopes'][number][];
      createdBy: string | null;
    },
  ) =>
    tx.one(sql.type(apiKeyRow)`
      INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, created_by)
      VALUES (${k.tenantId}, ${k.name}, ${k.prefix}, ${sql.binary(k.keyHash)}, ${sql.array(k.scopes, 'text')}, ${k.createdBy})
      RETURNING ${columns}`),

  listForTenant: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(apiKeyRow)`SELECT ${columns} FROM api_keys WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, id`),

  findActiveByHash: (tx: Tx, keyHash: Buffer) =>
    tx.maybeOne(sql.type(apiKeyRow)`SELECT ${columns} FROM api_keys WHERE key_hash = ${sql.binary(keyHash)} AND revoked_at IS NULL`),

  findForTenant: (tx: Tx, tenantId: string, id: string) =>
    tx.maybeOne(sql.type(apiKeyRow)`SELECT ${columns} FROM api_keys WHERE tenant_id = ${tenantId} AND id = ${id}`),

  /** Idempotent: revoking again keeps the first revocation time (concurrent revokes queue on the row lock). */
  revoke: (tx: Tx, tenantId: string, id: string) =>
    tx.maybeOne(sql.type(apiKeyRow)`
      UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
      WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING ${columns}`),

  touch: (tx: Tx, id: string) => tx.query(sql.unsafe`UPDATE api_keys SET last_used_at = now() WHERE id = ${id}`),
};
