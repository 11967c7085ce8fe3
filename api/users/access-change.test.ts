import { describe, expect, it } from 'vitest';
import { planAccessChange } from './access-change.ts';
import type { UserAccess } from '../../db/postgres/users-repository.ts';
import type { PatchUser } from './user-schemas.ts';

const admin: UserAccess = { role: 'admin', tenantId: null, active: true };
const finance: UserAccess = { role: 'finance', tenantId: null, active: true };
const customer: UserAccess = { role: 'customer', tenantId: 't-1', active: true };
const SELF = 'me';
const OTHER = 'someone';

type Row = [
  string,
  { userId: string; current: UserAccess; change: PatchUser; otherActiveAdmins: number },
  { next: UserAccess; changed: boolean } | RegExp,
];

describe('planAccessChange', () => {
  it.each<Row>([
    [
      'deactivates another user',
      { userId: OTHER, current: finance, change: { active: false }, otherActiveAdmins: 1 },
      { next: { ...finance, active: false }, changed: true },
    ],
    [
      'reactivates a user',
      { userId: OTHER, current: { ...customer, active: false }, change: { active: true }, otherActiveAdmins: 1 },
      { next: customer, changed: true },
    ],
    [
      'makes a customer finance, dropping the tenant',
      { userId: OTHER, current: customer, change: { role: 'finance' }, otherActiveAdmins: 1 },
      { next: finance, changed: true },
    ],
    [
      'moves a customer to another tenant',
      { userId: OTHER, current: customer, change: { role: 'customer', tenantId: 't-2' }, otherActiveAdmins: 1 },
      { next: { ...customer, tenantId: 't-2' }, changed: true },
    ],
    [
      'keeps the tenant when only active changes',
      { userId: OTHER, current: customer, change: { active: false }, otherActiveAdmins: 1 },
      { next: { ...customer, active: false }, changed: true },
    ],
    [
      'changes nothing when the user already is what is asked',
      { userId: OTHER, current: customer, change: { role: 'customer', tenantId: 't-1', active: true }, otherActiveAdmins: 0 },
      { next: customer, changed: false },
    ],
    [
      'lets an admin demote themselves while another admin is active',
      { userId: SELF, current: admin, change: { role: 'finance' }, otherActiveAdmins: 1 },
      { next: finance, changed: true },
    ],
    [
      'refuses that the last active admin demotes themselves',
      { userId: SELF, current: admin, change: { role: 'finance' }, otherActiveAdmins: 0 },
      /^role: this is the last active admin/,
    ],
    [
      'refuses self-deactivation even with other admins',
      { userId: SELF, current: admin, change: { active: false }, otherActiveAdmins: 3 },
      /^active: you cannot deactivate your own account/,
    ],
    [
      'refuses deactivating the last other active admin',
      { userId: OTHER, current: admin, change: { active: false }, otherActiveAdmins: 0 },
      /^active: this is the last active admin/,
    ],
    [
      'refuses demoting the last admin to customer',
      { userId: OTHER, current: admin, change: { role: 'customer', tenantId: 't-1' }, otherActiveAdmins: 0 },
      /^role: this is the last active admin/,
    ],
    [
      'lets a deactivated admin be demoted even with no other admin',
      { userId: OTHER, current: { ...admin, active: false }, change: { role: 'finance' }, otherActiveAdmins: 0 },
      { next: { ...finance, active: false }, changed: true },
    ],
    [
      'promotes a user to admin',
      { userId: OTHER, current: customer, change: { role: 'admin' }, otherActiveAdmins: 0 },
      { next: admin, changed: true },
    ],
  ])('%s', (_name, input, expected) => {
    const run = () => planAccessChange({ actorId: SELF, ...input });
    if (expected instanceof RegExp) {
      let thrown: unknown;
      try {
        run();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ status: 409, message: expect.stringMatching(expected) });
    } else {
      expect(run()).toEqual(expected);
    }
  });
});
