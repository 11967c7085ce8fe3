import { describe, expect, it } from 'vitest';
import { limitBar, mayAddLimits, mayDeleteLimit } from './limits.ts';

describe('a limit bar', () => {
  it('splits usage and reservations in per mille of the limit', () => {
    expect(limitBar({ limit: '200', used: '50', reserved: '30' })).toEqual({ used: 250, reserved: 150, over: false });
    expect(limitBar({ limit: '200', used: '0', reserved: '0' })).toEqual({ used: 0, reserved: 0, over: false });
    expect(limitBar({ limit: '200', used: '200', reserved: '0' })).toEqual({ used: 1000, reserved: 0, over: false });
  });

  it('stays exact where a float would not: quantities past 2^53 and twelve decimal places', () => {
    // 9007199254740993 is not a double; as a float the usage would equal the limit.
    expect(limitBar({ limit: '9007199254740993', used: '9007199254740992', reserved: '0' })).toEqual({
      used: 999,
      reserved: 0,
      over: false,
    });
    expect(limitBar({ limit: '9007199254740992', used: '9007199254740992', reserved: '0.000000000001' })).toEqual({
      used: 1000,
      reserved: 0,
      over: true,
    });
    expect(limitBar({ limit: '0.000000000003', used: '0.000000000001', reserved: '0.000000000001' })).toEqual({
      used: 333,
      reserved: 333,
      over: false,
    });
  });

  it('fills and marks a limit that usage outran, leaving no room for reservations', () => {
    expect(limitBar({ limit: '10', used: '15', reserved: '5' })).toEqual({ used: 1000, reserved: 0, over: true });
    expect(limitBar({ limit: '10', used: '8', reserved: '5' })).toEqual({ used: 800, reserved: 200, over: true });
  });

  it('shows a zero limit full once anything is used or reserved', () => {
    expect(limitBar({ limit: '0', used: '0', reserved: '0' })).toEqual({ used: 0, reserved: 0, over: false });
    expect(limitBar({ limit: '0', used: '1', reserved: '0' })).toEqual({ used: 1000, reserved: 0, over: true });
    expect(limitBar({ limit: '0', used: '0', reserved: '2' })).toEqual({ used: 0, reserved: 1000, over: true });
  });
});

describe('who may change limits', () => {
  it('lets an admin delete any limit and a customer only their own', () => {
    expect(mayDeleteLimit({ createdBy: 'admin' }, 'admin')).toBe(true);
    expect(mayDeleteLimit({ createdBy: 'customer' }, 'admin')).toBe(true);
    expect(mayDeleteLimit({ createdBy: 'customer' }, 'customer')).toBe(true);
    expect(mayDeleteLimit({ createdBy: 'admin' }, 'customer')).toBe(false);
    expect(mayDeleteLimit({ createdBy: 'customer' }, 'finance')).toBe(false);
  });

  it('lets admins and customers add, not finance', () => {
    expect([mayAddLimits('admin'), mayAddLimits('customer'), mayAddLimits('finance'), mayAddLimits(undefined)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
