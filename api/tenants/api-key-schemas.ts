import { z } from 'zod';
import { API_KEY_SCOPES } from '../http/route.ts';
import type { ApiKeyRow } from '../../db/postgres/api-keys-repository.ts';

export const scopesSchema = z
  .array(z.enum(API_KEY_SCOPES))
  .describe("ingest: post usage; read: read this tenant's usage, invoices and alerts");

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    scopes: scopesSchema,
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });
export const toApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});
