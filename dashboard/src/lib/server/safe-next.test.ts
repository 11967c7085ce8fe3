import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.ts';

describe('safeNext: where the sign-in form may send the user', () => {
  it.each([
    ['/', '/'],
    ['/tenants', '/tenants'],
    [
      '/tenants/a0000000-0000-4000-8000-000000000001?granularity=hour#usage',
      '/tenants/a0000000-0000-4000-8000-000000000001?granularity=hour#usage',
    ],
    ['/invoices?status=paid%2Cvoid', '/invoices?status=paid%2Cvoid'],
    ['/plans/../users', '/users'],
  ])('keeps the path %s', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    '',
    'tenants',
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/\\/evil.com',
    '/%5Cevil.com',
    '/%5cevil.com',
    '/%2F/evil.com',
    '/%2f%2fevil.com',
    'https://evil.com',
    'http://evil.com/tenants',
    'HTTPS://evil.com',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/\t/evil.com',
    '/\n/evil.com',
    '/%09/evil.com',
    '/%0a/evil.com',
    ' /evil',
    '/tenants\u0000',
    '/%E0%A4%A',
    `/${'a'.repeat(3000)}`,
  ])('falls back for %j', (next) => {
    expect(safeNext(next)).toBeNull();
  });
});
