import type { StackInfo } from './stack.ts';

/**
 * Plain HTTP to the API for test set-up and for what a service does (posting usage with its
 * API key). The journeys' assertions go through the browser.
 */
export function apiOf(stack: StackInfo) {
  async function call<T>(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<T> {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    call,
    async login(email: string, password: string): Promise<string> {
      return (await call<{ token: string }>('POST', '/api/auth/login', { body: { email, password } })).token;
    },
    async adminToken(): Promise<string> {
      return this.login(stack.admin.email, stack.admin.password);
    },
    /** Posts usage events as a service would: with the tenant's API key. */
    async ingest(apiKey: string, events: unknown[]): Promise<{ accepted: number }> {
      return call('POST', '/api/usage/ingest', { token: apiKey, body: events });
    },
  };
}

export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
