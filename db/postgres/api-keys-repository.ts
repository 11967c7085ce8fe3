import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

export const apiKeyRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  prefix: z.string(),
  created_at: z.date(),
  last_used_at: z.date().nullable(),
  revoked_at: z.date().nullable(),
});
export type ApiKeyRow = z.infer<typeof apiKeyRow>;

const columns = sql.fragment`id, tenant_id, name, prefix, created_at, last_used_at, revoked_at`;

export const apiKeysRepository = {
  insert: (tx: Tx, k: { tenantId: string; name: string; prefix: string; keyHash: Buffer; createdBy: string | null }) =>
    tx.one(sql.type(apiKeyRow)`
      INSERT INTO api_keys (tenant_id, name, prefix, key_hash, created_by)
      VALUES (${k.tenantId}, ${k.name}, ${k.prefix}, ${sql.binary(k.keyHash)}, ${k.createdBy})
      RETURNING ${columns}`),

  listForTenant: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(apiKeyRow)`SELECT ${columns} FROM api_keys WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, id`),

  findActiveByHash: (tx: Tx, keyHash: Buffer) =>
    tx.maybeOne(sql.type(apiKeyRow)`SELECT ${columns} FROM api_keys WHERE key_hash = ${sql.binary(keyHash)} AND revoked_at IS NULL`),

  revoke: (tx: Tx, tenantId: string, id: string) =>
    tx.maybeOne(sql.type(apiKeyRow)`
      UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
      WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING ${columns}`),

  touch: (tx: Tx, id: string) => tx.query(sql.unsafe`UPDATE api_keys SET last_used_at = now() WHERE id = ${id}`),
};
