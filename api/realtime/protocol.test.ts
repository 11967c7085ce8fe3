import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './protocol.ts';
import { mayReceive } from './visibility.ts';

describe('/api/ws client messages', () => {
  it.each<[string, unknown]>([
    ['{"type":"auth","token":"t"}', { type: 'auth', token: 't' }],
    ['{"type":"subscribe","tenantIds":null}', { type: 'subscribe', tenantIds: null }],
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"auth"}', null],
    ['{"type":"shout"}', null],
    ['not json', null],
  ])('%s', (text, expected) => {
    expect(parseClientMessage(text)).toEqual(expected);
  });
});

describe('who receives a live event', () => {
  const user = (role: 'admin' | 'finance' | 'customer', tenantId: string | null) => ({
    kind: 'user' as const,
    userId: 'u',
    email: 'e',
    role,
    tenantId,
  });
  it('operators receive every tenant, a customer only their own, an API key nothing', () => {
    expect(mayReceive(user('admin', null), { tenantId: 'a' })).toBe(true);
    expect(mayReceive(user('finance', null), { tenantId: 'b' })).toBe(true);
    expect(mayReceive(user('customer', 'a'), { tenantId: 'a' })).toBe(true);
    expect(mayReceive(user('customer', 'a'), { tenantId: 'b' })).toBe(false);
    expect(mayReceive({ kind: 'apiKey', keyId: 'k', tenantId: 'a', scopes: ['read'] }, { tenantId: 'a' })).toBe(false);
  });
});
