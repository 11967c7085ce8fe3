import { describe, expect, it } from 'vitest';
import { decide, landingFor, type Viewer } from './access.ts';

const admin: Viewer = { role: 'admin', tenantId: null };
const finance: Viewer = { role: 'finance', tenantId: null };
const customer: Viewer = { role: 'customer', tenantId: 'a0000000-0000-4000-8000-000000000001' };
const other = 'b0000000-0000-4000-8000-000000000002';

describe('decide', () => {
  it.each([
    ['/', null, 'login'],
    ['/tenants', null, 'login'],
    ['/login', null, 'allow'],
    ['/signup', null, 'allow'],
    ['/', admin, 'allow'],
    ['/', finance, 'allow'],
    ['/users', admin, 'allow'],
    ['/users', finance, 'not-found'],
    ['/plans/new', finance, 'not-found'],
    ['/plans/new', admin, 'allow'],
    ['/plans', finance, 'allow'],
    ['/tenants', customer, 'not-found'],
    ['/invoices', customer, 'not-found'],
    ['/alerts', customer, 'not-found'],
    [`/tenants/${customer.tenantId}`, customer, 'allow'],
    [`/tenants/${other}`, customer, 'not-found'],
    [`/tenants/${other}/anything`, customer, 'not-found'],
    [`/tenants/${customer.tenantId}/payments`, customer, 'allow'],
    [`/tenants/${other}/payments`, customer, 'not-found'],
    [`/tenants/${other}/payments`, finance, 'allow'],
    ['/invoices/some-id', customer, 'allow'],
    ['/logout', customer, 'allow'],
  ] as const)('%s as %o → %s', (path, viewer, kind) => {
    expect(decide(path, viewer).kind).toBe(kind);
  });

  it('sends a customer from the overview to their own tenant', () => {
    expect(decide('/', customer)).toEqual({ kind: 'redirect', to: `/tenants/${customer.tenantId}` });
  });

  it('sends a signed-in user away from the sign-in page', () => {
    expect(decide('/login', admin)).toEqual({ kind: 'redirect', to: '/' });
    expect(landingFor(customer)).toBe(`/tenants/${customer.tenantId}`);
  });
});
