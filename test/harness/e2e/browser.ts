import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

const violations = new WeakMap<Page, string[]>();

/**
 * A fresh browser context (its own cookies) with one page. Every Content-Security-Policy
 * violation the page meets is recorded (the `securitypolicyviolation` event, and Chromium's
 * console error for it), for `cspViolations`.
 */
export async function newPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1440, height: 1000 } });
  // Runs in every document before its own scripts; reports through the console.
  await context.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${e.documentURI}`));",
  });
  const page = await context.newPage();
  const seen: string[] = [];
  violations.set(page, seen);
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /CSP violation|Content Security Policy/i.test(text)) seen.push(`${page.url()}: ${text}`);
  });
  page.setDefaultTimeout(15_000);
  return page;
}

/** The CSP violations this page has met so far (see newPage); a journey expects none. */
export function cspViolations(page: Page): string[] {
  return [...(violations.get(page) ?? [])];
}

/** Signs in through the sign-in form and waits for the signed-in shell. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const outcome = await Promise.race([
    page
      .getByTestId('current-user')
      .waitFor()
      .then(() => 'signed in'),
    page
      .getByTestId('form-error')
      .waitFor()
      .then(async () => `refused: ${await page.getByTestId('form-error').textContent()}`),
  ]);
  if (outcome !== 'signed in') throw new Error(`sign-in as ${email} ${outcome}`);
}

/** Saves a full-page screenshot as test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = new URL('../../../test-results/e2e/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  const path = `${dir}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the current page is hydrated (see the root layout), so typed input sticks. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/** Marks the document; `stillSameDocument` is true only if no full reload happened since. */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  const token = `doc-${Math.random()}`;
  // These functions run in the page, where globalThis is its window.
  await page.evaluate((t) => ((globalThis as unknown as Record<string, string>).__e2eDocument = t), token);
  return () => page.evaluate((t) => (globalThis as unknown as Record<string, string>).__e2eDocument === t, token);
}

/** Follows a link of the main menu. */
export async function navigate(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}
