import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, newPage, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

// Journey 5: the browser-side defences. Every page works under its Content-Security-Policy,
// the sign-in form's `next` goes only to paths of this site, and a page of another origin
// cannot make a change with the user's session cookie.
describe('browser hardening', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  let tenantId: string;
  let planId: string;
  let meterCode: string;
  let evil: Server;
  let evilOrigin: string;

  beforeAll(async () => {
    const admin = await api.adminToken();
    meterCode = unique('sec').replace(/-/g, '_');
    await api.call('POST', '/api/meters', {
      token: admin,
      body: { code: meterCode, name: 'Security (e2e)', eventType: `sec.${meterCode}`, aggregation: 'count' },
    });
    tenantId = (await api.call<{ id: string }>('POST', '/api/tenants', { token: admin, body: { name: unique('Secure Co') } })).id;
    planId = (
      await api.call<{ id: string }>('POST', '/api/pricing/plans', {
        token: admin,
        body: {
          code: unique('secplan'),
          name: 'Security plan (e2e)',
          currency: 'USD',
          interval: 'month',
          baseFee: '10',
          charges: [{ meter: meterCode, model: 'per_unit', unitPrice: '0.1' }],
        },
      })
    ).id;
    // A page of another origin (same host, another port: same-site, so SameSite=Lax still
    // sends the cookie, and only the API's Origin check stands in the way).
    evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><form method="POST" action="${stack.baseUrl}/api/tenants" enctype="text/plain"><input name='{"name":"forged","x":"' value='"}'><button>Win a prize</button></form>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilOrigin = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it('the violation watcher sees a blocked inline script (so "none seen" means something)', async () => {
    const probe = await newPage(browser, stack.baseUrl);
    await probe.goto('/login');
    await hydrated(probe);
    // Runs in the page: an inline script added after load, as injected markup would be.
    await probe.evaluate("const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.head.append(s);");
    await expect.poll(() => cspViolations(probe).length).toBeGreaterThan(0);
    expect(await probe.evaluate(() => (globalThis as { injected?: boolean }).injected)).toBeUndefined();
    await probe.context().close();
  });

  it('every dashboard page and the API reference run under their policy without a violation', async () => {
    const login = await page.goto('/login');
    expect(login?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(login?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await signIn(page, stack.admin.email, stack.admin.password);

    const pages = [
      '/',
      '/tenants',
      `/tenants/${tenantId}`,
      '/plans',
      '/plans/new',
      `/plans/${planId}`,
      '/meters',
      '/meters/new',
      `/meters/${meterCode}`,
      '/invoices',
      '/alerts',
      '/users',
      '/no-such-page',
    ];
    for (const path of pages) {
      const response = await page.goto(path);
      // One policy, the dashboard's own: the API's (which allows no script) must not reach a page.
      const policies = (await response!.headersArray()).filter((h) => h.name.toLowerCase() === 'content-security-policy');
      expect(policies, path).toHaveLength(1);
      expect(policies[0]!.value, path).toMatch(/script-src 'self' 'nonce-/);
      await hydrated(page);
      await page.waitForLoadState('networkidle');
    }
    // The plan page quotes live through its own endpoint (a fetch under connect-src).
    await page.goto(`/plans/${planId}`);
    await hydrated(page);
    await page.getByLabel(`${meterCode} quantity`).fill('100');
    await expect.poll(() => page.getByTestId('quote-total').textContent(), { timeout: 10_000 }).toBe('$20.00');

    const docs = await page.goto('/api/docs');
    expect(docs?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock').first().waitFor();
    await page.locator('.opblock-summary').first().click();
    await page.locator('.opblock-body').first().waitFor();
    const json = await page.goto('/api/openapi.json');
    expect(json?.headers()['content-security-policy']).toMatch(/^default-src 'none'/);

    expect(cspViolations(page)).toEqual([]);
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example', '/%5Cevil.example', 'javascript:alert(1)'])(
    'signing in with next=%s lands on the home page',
    async (next) => {
      const fresh = await newPage(browser, stack.baseUrl);
      await fresh.goto(`/login?next=${encodeURIComponent(next)}`);
      await hydrated(fresh);
      await fresh.getByLabel('Email').fill(stack.admin.email);
      await fresh.getByLabel('Password').fill(stack.admin.password);
      await fresh.getByRole('button', { name: 'Sign in' }).click();
      await fresh.getByTestId('current-user').waitFor();
      expect(new URL(fresh.url()).origin).toBe(stack.baseUrl);
      expect(new URL(fresh.url()).pathname).toBe('/');
      await fresh.context().close();
    },
  );

  it('signing in with next=/plans goes there', async () => {
    const fresh = await newPage(browser, stack.baseUrl);
    await fresh.goto(`/login?next=${encodeURIComponent('/plans?x=1')}`);
    await hydrated(fresh);
    await fresh.getByLabel('Email').fill(stack.admin.email);
    await fresh.getByLabel('Password').fill(stack.admin.password);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.waitForURL((url) => url.pathname === '/plans');
    expect(new URL(fresh.url()).search).toBe('?x=1');
    await fresh.context().close();
  });

  it("another origin's page cannot change anything with the session cookie; our own origin can", async () => {
    // given the signed-in admin (page, from the test above) opens the other site and submits its form
    await page.goto(evilOrigin);
    await page.getByRole('button', { name: 'Win a prize' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${stack.baseUrl}/api/tenants`));
    // then the API refused it: the browser did attach the cookie (else this would be 401)
    const answer = JSON.parse((await page.locator('body').textContent()) ?? '') as { status: number; detail: string };
    expect(answer).toMatchObject({ status: 403, detail: expect.stringContaining('cross-site') });
    const admin = await api.adminToken();
    const tenants = await api.call<{ items: { name: string }[] }>('GET', '/api/tenants?limit=200', { token: admin });
    expect(tenants.items.map((t) => t.name)).not.toContain('forged');

    // while the same cookie from the dashboard's own origin works
    await page.goto('/');
    const name = unique('Same origin Co');
    const status = await page.evaluate(
      async (body) => (await fetch('/api/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
      JSON.stringify({ name }),
    );
    expect(status).toBe(201);
  });

  it('malformed cookies and host headers get a 4xx or the sign-in page, never a 500', async () => {
    const get = (path: string, headers: Record<string, string>) => fetch(`${stack.baseUrl}${path}`, { headers, redirect: 'manual' });
    expect((await get('/login', { cookie: 'mp_session=%E0%A4%A' })).status).toBe(200);
    const home = await get('/', { cookie: 'mp_session=%E0%A4%A; mp_session=%' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/login');
    // The stack trusts no proxy (TRUST_PROXY=0), so X-Forwarded-Host is not read at all: a
    // malformed one changes nothing and the sign-in page is served. (Behind a trusted proxy a
    // malformed host is a 400: requestOrigin in cli/dashboard/dashboard-middleware.test.ts.)
    const badHost = await get('/login', { 'x-forwarded-host': 'a b' });
    expect(badHost.status).toBe(200);
    expect(badHost.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await get('/api/tenants', { cookie: 'mp_session=%E0%A4%A' })).status).toBe(401);
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect(cspViolations(page)).toEqual([]);
  });
});
