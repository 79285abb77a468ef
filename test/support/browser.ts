// What the end-to-end tests (test/web/) share: the run's one Chromium (launched by
// test/support/browser-setup.ts), the platform listening in-process with the demo shop, an HTTP
// client for arranging things through the API, pages watched for console errors and content security
// policy violations, and the checks of accessibility (axe-core, keyboard, phone-sized screens).
// Controls are found by role and accessible name only (web/README.md's table), as a screen reader does.
import axe from 'axe-core';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { demoCatalog } from '../../src/seed/demo-catalog.ts';
import { seedDemo } from '../../src/seed/demo.ts';
import { testApp, type TestApp } from './platform.ts';

/** Generous: two shared cores, a browser and the platform in one test process. Never asserted as a duration. */
export const WAIT = { timeout: Number(process.env.E2E_WAIT_MS ?? 60_000) } as const;

/**
 * Reads until `done` holds for what was read (every 100 ms), then answers it; after `timeout` throws
 * with the last value read. For hooks and helpers: `expect.poll` works only inside a test.
 */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeout = WAIT.timeout,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeout / 1000} s (last seen: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const SCREENSHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

/** The demo accounts' password in these tests (admin@demo.local, auditor@demo.local, customer@demo.local). */
export const DEMO_PASSWORD = 'browser tests demo password';
/** The password of the shoppers the tests create. */
export const SHOPPER_PASSWORD = 'browser tests shopper password';

/** The run's shared Chromium (one per `vitest run`); close what this returns, not the browser server. */
export function connectBrowser(): Promise<Browser> {
  return chromium.connect(inject('browserWsEndpoint'));
}

// --- the platform under test ----------------------------------------------------------------------

export type Json = Record<string, unknown>;

/** The API over HTTP, as any client calls it; a refusal throws with the problem document. */
export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  async call<T = Json>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async ok<T = Json>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const answer = await this.call<T>(method, path, body, headers);
    if (answer.status >= 400)
      throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  get = <T = Json>(path: string) => this.ok<T>('GET', path);
  post = <T = Json>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.ok<T>('POST', path, body ?? {}, headers);
}

export type Product = {
  sku: string;
  title: string;
  price: { amount: number; currency: string };
  available: number;
  description?: string;
};

export type Shop = {
  /** Where the platform listens, e.g. http://127.0.0.1:41234 */
  base: string;
  t: TestApp;
  anonymous: Api;
  /** A signed-in client of a demo account or a shopper created with `newShopper`. */
  signIn(email: string, password?: string): Promise<Api>;
  /** A new customer account (created directly, so no password-strength rule is in the way). */
  newShopper(name: string): Promise<{ email: string; password: string; api: Api }>;
  /** Products in stock (at least `minStock` units), cheap enough and with short titles. */
  productsInStock(count: number, minStock?: number): Promise<Product[]>;
  /** A new product with exactly `stock` units, listed through the admin API. */
  newProduct(title: string, stock: number, amount?: number): Promise<Product>;
  /** Places an order through the API for `lines` as `customer` and waits until it is `status`. */
  orderThroughApi(
    customer: Api,
    lines: { sku: string; quantity: number }[],
    paymentMethod?: string,
  ): Promise<string>;
  waitForOrder(api: Api, orderId: string, status: string | RegExp): Promise<Json>;
  close(): Promise<void>;
};

/**
 * The whole platform (embedded profile, in memory) listening on a free loopback port, with the demo
 * catalog and accounts seeded and the catalog searchable.
 */
export async function openShop(env: Record<string, string> = {}): Promise<Shop> {
  const t = await testApp('embedded', env);
  await seedDemo(t.platform, { password: DEMO_PASSWORD });
  const listed = demoCatalog().length;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('the platform does not listen on a port');
  const base = `http://127.0.0.1:${address.port}`;
  const anonymous = new Api(base);
  await until(
    'the demo catalog searchable',
    async () => (await anonymous.get<{ total: number }>('/products?pageSize=1')).total,
    (total) => total === listed,
  );

  const signIn = async (email: string, password = DEMO_PASSWORD) => {
    const { token } = await anonymous.post<{ token: string }>('/auth/login', { email, password });
    return new Api(base, token);
  };
  const admin = await signIn('admin@demo.local');

  const waitForOrder = (api: Api, orderId: string, status: string | RegExp) =>
    until(
      `order ${orderId} ${String(status)}`,
      () => api.get(`/orders/${orderId}`),
      (order) => (typeof status === 'string' ? order.status === status : status.test(String(order.status))),
    );

  return {
    base,
    t,
    anonymous,
    signIn,
    async newShopper(name) {
      const email = `${name}-${randomUUID().slice(0, 8)}@example.com`;
      await t.platform.users.ensure(email, SHOPPER_PASSWORD, 'customer');
      return { email, password: SHOPPER_PASSWORD, api: await signIn(email, SHOPPER_PASSWORD) };
    },
    async productsInStock(count, minStock = 5) {
      const page = await anonymous.get<{ items: Product[] }>(
        '/products?inStock=true&category=Books&sort=price_asc&pageSize=100',
      );
      const picked = page.items.filter((p) => p.available >= minStock).slice(0, count);
      if (picked.length < count) throw new Error(`fewer than ${count} books with ${minStock} units in stock`);
      return picked;
    },
    async newProduct(title, stock, amount = 2500) {
      const sku = `E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
      await admin.ok('PUT', `/admin/products/${sku}`, {
        title,
        description: `${title}, listed by an end-to-end test.`,
        brand: 'Testbrand',
        category: 'Books',
        attributes: {},
        price: { amount, currency: 'USD' },
      });
      if (stock > 0) await admin.post(`/admin/inventory/${sku}/receive`, { quantity: stock });
      const answer = await until(
        `${sku} listed with ${stock} units`,
        () => anonymous.call<Product>('GET', `/products/${sku}`),
        ({ status, body }) => status === 200 && body.available === stock,
      );
      return answer.body;
    },
    async orderThroughApi(customer, lines, paymentMethod = 'pm_card_visa') {
      for (const line of lines) await customer.post('/cart/items', line);
      const { orderId } = await customer.post<{ orderId: string }>(
        '/checkout',
        { paymentMethod },
        { 'idempotency-key': `e2e-${randomUUID()}` },
      );
      return orderId;
    },
    waitForOrder,
    close: () => t.close(),
  };
}

// --- pages, watched -------------------------------------------------------------------------------

/** What went wrong on a context's pages: console errors, uncaught exceptions, CSP violations. */
export type PageProblems = {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
  /**
   * The site's own files (/assets/…, /favicon.svg) that failed to load. A page whose script is missing
   * never draws: when `dist/web` is rebuilt while the tests run (another `npm start` or `build:web`
   * on the machine), the platform, which read its HTML at start, names files that are gone.
   */
  missingFiles: string[];
};

export type Visitor = { context: BrowserContext; page: Page; problems: PageProblems };

declare global {
  interface Window {
    __reportCspViolation?: (violation: string) => void;
  }
}

/**
 * A new browser context (its own storage: a person of their own) with one page, at `base`. Console
 * errors, uncaught exceptions and `securitypolicyviolation` events of every page are recorded.
 */
export async function visitor(
  browser: Browser,
  base: string,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Visitor> {
  const context = await browser.newContext({ baseURL: base, viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(WAIT.timeout);
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [], missingFiles: [] };
  await context.exposeBinding('__reportCspViolation', (_source, violation: string) => {
    problems.cspViolations.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation?.(
        `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`,
      );
    });
  });
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error')
        problems.consoleErrors.push(`${page.url()}: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('response', (response) => {
      const { origin, pathname } = new URL(response.url());
      if (response.status() >= 400 && origin === base && /^\/(assets\/|favicon)/.test(pathname))
        problems.missingFiles.push(`${response.status()} ${pathname}`);
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// --- steps a person takes --------------------------------------------------------------------------

/** Signs in on the storefront through its "Sign in" link and form. */
export async function signInOnStorefront(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
}

/** Opens the console and signs in there. */
export async function signInToConsole(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/console');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Orders' }).waitFor(WAIT);
}

/** The order page's status (`role=status` named "Order status"). */
export const orderStatus = (page: Page): Locator => page.getByRole('status', { name: 'Order status' });

/** Waits until `locator`'s text matches. */
export async function untilText(locator: Locator, text: RegExp | string): Promise<void> {
  await expect.poll(async () => (await locator.allTextContents()).join(' '), WAIT).toMatch(text);
}

/**
 * A mark set in the page's window: it is still there only if the page was never loaded again. Set it,
 * do something, then `expect(await stillSamePage(page)).toBe(true)` proves the page changed by itself.
 */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __e2eMark: boolean }).__e2eMark = true));
}
export const stillSamePage = (page: Page): Promise<boolean> =>
  page.evaluate(() => (window as unknown as { __e2eMark?: boolean }).__e2eMark === true);

// --- accessibility -----------------------------------------------------------------------------------

export type AxeFinding = { id: string; impact: string; help: string; targets: string[] };

/** axe-core's serious and critical violations on the page as it is now (its source evaluated, not a script tag: the CSP holds). */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const { violations } = await run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Presses Tab until focus has gone round the whole page twice over the window's edge (or `maxPresses`),
 * and answers which of `controls` focus reached (a control counts as reached when focus is on it or
 * inside it). Going round from wherever focus starts covers what lies before that point too.
 */
export async function tabReaches(
  page: Page,
  controls: Record<string, Locator>,
  maxPresses = 400,
): Promise<{ reached: string[]; missed: string[] }> {
  const names = Object.keys(controls);
  const handles = await Promise.all(names.map((name) => controls[name]!.first().elementHandle(WAIT)));
  const reached = new Set<string>();
  let wraps = 0;
  let onBodyBefore = true;
  for (let i = 0; i < maxPresses && reached.size < names.length && wraps < 2; i++) {
    await page.keyboard.press('Tab');
    const state = await page.evaluate(
      (elements) => ({
        hit: elements.flatMap((el, index) =>
          el && (el === document.activeElement || el.contains(document.activeElement)) ? [index] : [],
        ),
        onBody: document.activeElement === document.body || document.activeElement === null,
      }),
      handles,
    );
    for (const index of state.hit) reached.add(names[index]!);
    if (state.onBody && !onBodyBefore) wraps++;
    onBodyBefore = state.onBody;
  }
  return { reached: [...reached], missed: names.filter((name) => !reached.has(name)) };
}

/**
 * Presses Tab until focus is on `target` or inside it (a radio group: Tab lands on its checked radio,
 * or its first); throws after `maxPresses`. For steps taken with the keyboard alone.
 */
export async function tabTo(page: Page, target: Locator, maxPresses = 200): Promise<void> {
  const handle = await target.first().elementHandle(WAIT);
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    if (await handle.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)))
      return;
  }
  throw new Error(`Tab did not reach ${target.toString()} in ${maxPresses} presses`);
}

/** True when the page is no wider than the window (no horizontal scrolling). */
export const fitsWidth = (page: Page): Promise<{ scrollWidth: number; clientWidth: number }> =>
  page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
