import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../api/http/problem.ts';
import { requestOrigin } from './dashboard-middleware.ts';

describe('requestOrigin', () => {
  it.each([
    ['http', '127.0.0.1:4000', 'http://127.0.0.1:4000'],
    ['https', 'billing.example.com', 'https://billing.example.com'],
    ['http', '[::1]:4000', 'http://[::1]:4000'],
    ['https', 'Billing.Example.com:443', 'https://billing.example.com'],
  ])('%s + %s → %s', (protocol, host, origin) => {
    expect(requestOrigin(protocol, host)).toBe(origin);
  });

  it.each([
    ['http', 'a b'],
    ['http', ''],
    ['http', 'evil.example/path'],
    ['http', 'user@evil.example'],
    ['http', 'evil.example?x'],
    ['http', 'evil.example#x'],
    ['http', 'evil.example\\x'],
    ['http', 'a\u0000b'],
    ['http', '['],
    ['javascript', 'example.com'],
    ['file', 'example.com'],
    ['https, http', 'example.com'],
  ])('%s + %j is a 400', (protocol, host) => {
    expect(() => requestOrigin(protocol, host)).toThrow(HttpProblem);
    try {
      requestOrigin(protocol, host);
    } catch (err) {
      expect((err as HttpProblem).status).toBe(400);
    }
  });
});
