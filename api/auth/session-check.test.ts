import { describe, expect, it } from 'vitest';
import { tokenIsCurrent } from './session-check.ts';
import type { UserSessionState } from '../../db/postgres/users-repository.ts';

const user: UserSessionState = { role: 'customer', tenant_id: 't-1', token_version: 2, deactivated_at: null };
const claims = { role: 'customer' as const, tenantId: 't-1', ver: 2 };

describe('tokenIsCurrent', () => {
  it.each([
    ['the token matches the user', claims, user, true],
    ['the user is gone', claims, null, false],
    ['the user is deactivated', claims, { ...user, deactivated_at: new Date() }, false],
    ['the version moved on', claims, { ...user, token_version: 3 }, false],
    ['the role changed without a version bump', claims, { ...user, role: 'finance' as const, tenant_id: null }, false],
    ['the tenant changed without a version bump', claims, { ...user, tenant_id: 't-2' }, false],
    ['a token without a version counts as version 0', { role: 'customer' as const, tenantId: 't-1' }, { ...user, token_version: 0 }, true],
    ['a token without a version is stale once the user was bumped', { role: 'customer' as const, tenantId: 't-1' }, user, false],
  ])('%s', (_name, c, u, expected) => {
    expect(tokenIsCurrent(c, u)).toBe(expected);
  });
});
