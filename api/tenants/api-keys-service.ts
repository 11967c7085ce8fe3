import type { DatabasePool } from 'slonik';
import type { ApiKeyScope, Principal } from '../http/route.ts';
import { notFound } from '../http/problem.ts';
import { withScope } from '../../db/postgres/tenant-scope.ts';
import { apiKeysRepository } from '../../db/postgres/api-keys-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { generateApiKey } from '../auth/api-key-secrets.ts';
import { defaultScopes, requireManageable } from '../auth/api-key-scopes.ts';

/**
 * A tenant's API keys. Admins manage any tenant's keys of any scope; a customer manages
 * only their own tenant's `read` keys. Another tenant is 404 before any scope is looked at,
 * so a customer cannot learn which keys another tenant has.
 */
export function createApiKeysService(pg: DatabasePool) {
  async function tenantInScope(principal: Principal, id: string) {
    const tenantId = resolveTenant(principal, id, 'id');
    const tenant = await withScope(pg, scopeOf(principal), (tx) => tenantsRepository.findById(tx, tenantId));
    if (!tenant) throw notFound('tenant');
    return tenantId;
  }

  return {
    async create(principal: Principal, id: string, input: { name: string; scopes?: readonly ApiKeyScope[] | undefined }) {
      const tenantId = await tenantInScope(principal, id);
      const scopes = input.scopes ?? defaultScopes(principal);
      requireManageable(principal, scopes, 'create');
      const secret = generateApiKey();
      const createdBy = principal.kind === 'user' ? principal.userId : null;
      const row = await withScope(pg, scopeOf(principal), (tx) =>
        apiKeysRepository.insert(tx, { tenantId, name: input.name, prefix: secret.prefix, keyHash: secret.hash, scopes, createdBy }),
      );
      return { row, key: secret.key };
    },

    async list(principal: Principal, id: string) {
      const tenantId = await tenantInScope(principal, id);
      return withScope(pg, scopeOf(principal), (tx) => apiKeysRepository.listForTenant(tx, tenantId));
    },

    async revoke(principal: Principal, id: string, keyId: string) {
      const tenantId = await tenantInScope(principal, id);
      return withScope(pg, scopeOf(principal), async (tx) => {
        const key = await apiKeysRepository.findForTenant(tx, tenantId, keyId);
        if (!key) throw notFound('API key');
        // Scopes never change after creation, so checking them before the update cannot race.
        requireManageable(principal, key.scopes, 'revoke');
        return (await apiKeysRepository.revoke(tx, tenantId, keyId))!;
      });
    },
  };
}
