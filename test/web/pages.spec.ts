// The pages themselves, in a real browser: product pages a crawler reads without JavaScript, search
// state in the address bar, accessibility (axe-core, every control of web/README.md's table reached
// with Tab, a phone-sized screen), the storefront's JavaScript budget and the content security policy.
import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../../src/seed/demo-catalog.ts';
import {
  connectBrowser,
  fitsWidth,
  openShop,
  orderStatus,
  screenshot,
  seriousAxeViolations,
  SHOPPER_PASSWORD,
  signInOnStorefront,
  signInToConsole,
  tabReaches,
  visitor,
  WAIT,
  type Api,
  type Product,
  type Shop,
  type Visitor,
} from '../support/browser.ts';

let shop: Shop;
let browser: Browser;
let admin: Api;
/** A product of the demo catalog, in stock. */
let demoProduct: Product;
/** The tour's own product, in the shopper's cart and orders. */
let product: Product;
let shopper: { email: string; password: string; api: Api };
const orders = { delivered: '', returned: '', confirmed: '', shipped: '' };
/** The first category the home page's facets offer. */
let category: string;

async function ship(orderId: string, quantity: number, deliver: boolean) {
  const { shipmentId } = await admin.post<{ shipmentId: string }>(
    `/admin/orders/${orderId}/shipments`,
    {
      lines: [{ sku: product.sku, quantity }],
      carrier: 'Parcelfast',
      trackingNumber: `TRK${quantity}${deliver}`,
    },
    { 'idempotency-key': `e2e-${randomUUID()}` },
  );
  if (deliver) await admin.post(`/admin/orders/${orderId}/shipments/${shipmentId}/delivery`);
}

async function orderOf(quantity: number) {
  const orderId = await shop.orderThroughApi(shopper.api, [{ sku: product.sku, quantity }]);
  await shop.waitForOrder(shopper.api, orderId, 'confirmed');
  return orderId;
}

beforeAll(async () => {
  [shop, browser] = await Promise.all([openShop(), connectBrowser()]);
  admin = await shop.signIn('admin@demo.local');
  [demoProduct] = (await shop.productsInStock(1)) as [Product];
  product = await shop.newProduct('Tour Test Field Notebook', 100, 1200);
  shopper = await shop.newShopper('tour');
  // Orders in each state the pages show controls for: delivered (returns), a return asked for
  // (the console's "Receive"), confirmed (ship, cancel, refund) and shipped (mark delivered).
  orders.delivered = await orderOf(2);
  await ship(orders.delivered, 2, true);
  orders.returned = await orderOf(1);
  await ship(orders.returned, 1, true);
  await shop.waitForOrder(shopper.api, orders.returned, 'delivered');
  await shopper.api.post(
    `/orders/${orders.returned}/returns`,
    { lines: [{ sku: product.sku, quantity: 1 }], reason: 'Changed my mind' },
    { 'idempotency-key': `e2e-${randomUUID()}` },
  );
  orders.confirmed = await orderOf(1);
  orders.shipped = await orderOf(1);
  await ship(orders.shipped, 1, false);
  await shop.waitForOrder(shopper.api, orders.delivered, 'delivered');
  await shop.waitForOrder(shopper.api, orders.shipped, 'shipped');
  // What the cart and checkout pages show.
  await shopper.api.post('/cart/items', { sku: product.sku, quantity: 1 });
  category = (await shop.anonymous.get<{ facets: { category: { value: string }[] } }>('/products')).facets
    .category[0]!.value;
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

// --- the pages and their controls (web/README.md) ----------------------------------------------------

type Who = 'guest' | 'shopper' | 'admin' | 'auditor';
type Stop = {
  name: string;
  who: Who;
  path: () => string;
  /** Shown once the page is drawn. */
  ready: (page: Page) => Locator;
  /** The table's controls on this page, by name. */
  controls: (page: Page) => Record<string, Locator>;
};

const password = (page: Page) => page.getByLabel('Password', { exact: true });
const storefrontControls = (page: Page, signedIn: boolean): Record<string, Locator> => ({
  'searchbox Search': page.getByRole('searchbox', { name: 'Search' }),
  'button Search': page.getByRole('button', { name: 'Search', exact: true }),
  'link Cart': page.getByRole('link', { name: /^Cart\b/ }),
  ...(signedIn
    ? {
        'button Sign out': page.getByRole('button', { name: 'Sign out' }),
        'link Orders': page.getByRole('link', { name: 'Orders', exact: true }),
      }
    : { 'link Sign in': page.getByRole('link', { name: 'Sign in', exact: true }) }),
});
const CONSOLE_NAV = ['Catalog', 'Inventory', 'Orders', 'Returns', 'Projections', 'Metrics', 'Audit'];
const consoleNav = (page: Page): Record<string, Locator> =>
  Object.fromEntries(
    CONSOLE_NAV.map((name) => [`link ${name}`, page.getByRole('link', { name, exact: true })]),
  );
const heading = (page: Page) => page.getByRole('heading', { level: 1 }).first();

const STOREFRONT: Stop[] = [
  {
    name: 'home',
    who: 'guest',
    path: () => '/',
    ready: (page) => page.getByRole('checkbox', { name: 'In stock only' }),
    controls: (page) => ({
      ...storefrontControls(page, false),
      'checkbox In stock only': page.getByRole('checkbox', { name: 'In stock only' }),
      'combobox Sort by': page.getByRole('combobox', { name: 'Sort by' }),
      'link Next page': page.getByRole('link', { name: 'Next page' }),
      [`facet checkbox ${category}`]: page.getByRole('checkbox', { name: new RegExp(`^${category}\\b`) }),
    }),
  },
  {
    name: 'home-page-2',
    who: 'guest',
    path: () => '/?page=2',
    ready: (page) => page.getByRole('link', { name: 'Previous page' }),
    controls: (page) => ({
      ...storefrontControls(page, false),
      'link Previous page': page.getByRole('link', { name: 'Previous page' }),
      'link Next page': page.getByRole('link', { name: 'Next page' }),
    }),
  },
  {
    name: 'product',
    who: 'guest',
    path: () => `/shop/products/${encodeURIComponent(demoProduct.sku)}`,
    ready: (page) => page.getByRole('button', { name: 'Add to cart' }),
    controls: (page) => ({
      ...storefrontControls(page, false),
      'spinbutton Quantity': page.getByRole('spinbutton', { name: 'Quantity' }),
      'button Add to cart': page.getByRole('button', { name: 'Add to cart' }),
    }),
  },
  {
    name: 'sign-in',
    who: 'guest',
    path: () => '/shop/sign-in',
    ready: (page) => page.getByRole('button', { name: 'Sign in' }),
    controls: (page) => ({
      ...storefrontControls(page, false),
      'textbox Email': page.getByRole('textbox', { name: 'Email' }),
      Password: password(page),
      'button Sign in': page.getByRole('button', { name: 'Sign in' }),
      'link Create an account': page.getByRole('link', { name: 'Create an account' }),
    }),
  },
  {
    name: 'register',
    who: 'guest',
    path: () => '/shop/register',
    ready: (page) => page.getByRole('button', { name: 'Create account' }),
    controls: (page) => ({
      ...storefrontControls(page, false),
      'textbox Email': page.getByRole('textbox', { name: 'Email' }),
      Password: password(page),
      'button Create account': page.getByRole('button', { name: 'Create account' }),
    }),
  },
  {
    name: 'cart',
    who: 'shopper',
    path: () => '/shop/cart',
    ready: (page) => page.getByRole('spinbutton', { name: `Quantity of ${product.title}` }),
    controls: (page) => ({
      ...storefrontControls(page, true),
      'spinbutton Quantity of <title>': page.getByRole('spinbutton', {
        name: `Quantity of ${product.title}`,
      }),
      'button Remove <title>': page.getByRole('button', { name: `Remove ${product.title}` }),
      Checkout: page
        .getByRole('link', { name: 'Checkout' })
        .or(page.getByRole('button', { name: 'Checkout' })),
    }),
  },
  {
    name: 'checkout',
    who: 'shopper',
    path: () => '/shop/checkout',
    ready: (page) => page.getByRole('button', { name: 'Place order' }),
    controls: (page) => ({
      ...storefrontControls(page, true),
      'radio in group Payment method': page
        .getByRole('radiogroup', { name: 'Payment method' })
        .getByRole('radio'),
      'button Place order': page.getByRole('button', { name: 'Place order' }),
    }),
  },
  {
    name: 'order',
    who: 'shopper',
    path: () => `/shop/orders/${orders.delivered}`,
    ready: (page) => page.getByRole('button', { name: 'Request return' }),
    controls: (page) => ({
      ...storefrontControls(page, true),
      'spinbutton Return quantity of <title>': page.getByRole('spinbutton', {
        name: `Return quantity of ${product.title}`,
      }),
      'textbox Reason': page.getByRole('textbox', { name: 'Reason' }),
      'button Request return': page.getByRole('button', { name: 'Request return' }),
    }),
  },
  {
    name: 'orders',
    who: 'shopper',
    path: () => '/shop/orders',
    ready: (page) => page.getByRole('main').getByRole('link').first(),
    controls: (page) => ({
      ...storefrontControls(page, true),
      'a link to an order': page.getByRole('main').getByRole('link').first(),
    }),
  },
];

const CONSOLE: Stop[] = [
  {
    name: 'console-sign-in',
    who: 'guest',
    path: () => '/console',
    ready: (page) => page.getByRole('button', { name: 'Sign in' }),
    controls: (page) => ({
      'textbox Email': page.getByRole('textbox', { name: 'Email' }),
      Password: password(page),
      'button Sign in': page.getByRole('button', { name: 'Sign in' }),
    }),
  },
  ...(['Catalog', 'Inventory', 'Orders', 'Returns', 'Projections', 'Metrics'] as const).map((name): Stop => ({
    name: `console-${name.toLowerCase()}`,
    who: 'admin',
    path: () => `/console/${name.toLowerCase()}`,
    ready: heading,
    controls: (page) => ({
      ...consoleNav(page),
      ...(name === 'Returns' ? { 'button Receive': page.getByRole('button', { name: 'Receive' }) } : {}),
    }),
  })),
  {
    name: 'console-order-confirmed',
    who: 'admin',
    path: () => `/console/orders/${orders.confirmed}`,
    ready: (page) => page.getByRole('button', { name: 'Ship' }),
    controls: (page) => ({
      ...consoleNav(page),
      'button Ship': page.getByRole('button', { name: 'Ship' }),
      'button Cancel order': page.getByRole('button', { name: 'Cancel order' }),
      'button Refund': page.getByRole('button', { name: 'Refund' }),
    }),
  },
  {
    name: 'console-order-shipped',
    who: 'admin',
    path: () => `/console/orders/${orders.shipped}`,
    ready: (page) => page.getByRole('button', { name: 'Mark delivered' }),
    controls: (page) => ({
      ...consoleNav(page),
      'button Mark delivered': page.getByRole('button', { name: 'Mark delivered' }),
    }),
  },
  {
    name: 'console-audit',
    who: 'auditor',
    path: () => '/console/audit',
    ready: (page) => page.getByRole('button', { name: 'Verify' }),
    controls: (page) => ({
      'link Audit': page.getByRole('link', { name: 'Audit', exact: true }),
      'textbox Stream id': page.getByRole('textbox', { name: 'Stream id' }),
      'button Verify': page.getByRole('button', { name: 'Verify' }),
      'As of': page.getByLabel('As of'),
      'button Export NDJSON': page.getByRole('button', { name: 'Export NDJSON' }),
    }),
  },
];

/** One visitor per kind of person (signed in as they should be), made on first use. */
function people(viewport?: { width: number; height: number }) {
  const made = new Map<Who, Promise<Visitor>>();
  const make = async (who: Who) => {
    const visit = await visitor(browser, shop.base, viewport);
    if (who === 'shopper') {
      await visit.page.goto('/');
      await signInOnStorefront(visit.page, shopper.email, SHOPPER_PASSWORD);
    } else if (who === 'admin') await signInToConsole(visit.page, 'admin@demo.local');
    else if (who === 'auditor') await signInToConsole(visit.page, 'auditor@demo.local');
    return visit;
  };
  return {
    of(who: Who) {
      if (!made.has(who)) made.set(who, make(who));
      return made.get(who)!;
    },
    async all(): Promise<[Who, Visitor][]> {
      return Promise.all([...made].map(async ([who, visit]) => [who, await visit] as [Who, Visitor]));
    },
    async close() {
      await Promise.all([...made.values()].map(async (v) => (await v).context.close()));
    },
  };
}

/** Opens `stop` as the right person and waits until it is drawn; the page, or an error saying what is missing. */
async function open(visits: ReturnType<typeof people>, stop: Stop): Promise<Page> {
  const { page } = await visits.of(stop.who);
  await page.goto(stop.path());
  await stop.ready(page).waitFor(WAIT);
  return page;
}

/**
 * Runs `check` on every stop, each in its own soft assertion (a page that does not draw is reported
 * as such), so that one run lists every page that falls short.
 */
async function onEveryStop(
  stops: Stop[],
  check: (page: Page, stop: Stop) => Promise<void>,
  viewport?: { width: number; height: number },
) {
  const visits = people(viewport);
  try {
    for (const stop of stops) {
      let page: Page;
      try {
        page = await open(visits, stop);
      } catch (error) {
        const missing = (await visits.of(stop.who).catch(() => undefined))?.problems.missingFiles ?? [];
        // The site's own files missing: every page after this one would wait in vain too.
        if (missing.length > 0)
          throw new Error(`${stop.name} did not draw: files that did not load: ${missing.join(', ')}`);
        expect.soft(`${stop.name} did not draw: ${(error as Error).message.split('\n')[0]}`).toBe('');
        continue;
      }
      await check(page, stop);
    }
  } finally {
    await visits.close();
  }
}

// --- the tests --------------------------------------------------------------------------------------

describe('pages a crawler reads', () => {
  it('a product page is server-rendered: its HTML, without JavaScript, has the title, the price and a schema.org Product', async () => {
    const path = `/shop/products/${encodeURIComponent(demoProduct.sku)}`;
    const response = await fetch(shop.base + path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    const price = `$${(demoProduct.price.amount / 100).toFixed(2)}`;
    const escaped = demoProduct.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(html).toContain(escaped);
    expect(html).toContain(price);

    const ld = [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map(
      (m) => JSON.parse(m[1]!) as Record<string, unknown>,
    );
    const productLd = ld.find((data) => data['@type'] === 'Product') as
      { sku: string; name: string; offers: Record<string, unknown> } | undefined;
    expect(productLd, 'a JSON-LD Product').toBeDefined();
    expect(productLd).toMatchObject({ sku: demoProduct.sku, name: demoProduct.title });
    expect(Number(productLd!.offers.price)).toBe(demoProduct.price.amount / 100);
    expect(productLd!.offers).toMatchObject({
      priceCurrency: demoProduct.price.currency,
      availability: 'https://schema.org/InStock',
    });

    // A browser without JavaScript shows the same.
    const context = await browser.newContext({ baseURL: shop.base, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(path);
    await page.getByRole('heading', { name: demoProduct.title, level: 1 }).waitFor(WAIT);
    await page.getByText(price).first().waitFor(WAIT);

    // A product with nothing left says so, to people and to crawlers.
    const soldOut = demoCatalog().find((p) => p.stock === 0)!;
    const soldOutPath = `/shop/products/${encodeURIComponent(soldOut.sku)}`;
    const soldOutHtml = await (await fetch(shop.base + soldOutPath)).text();
    const soldOutLd = [...soldOutHtml.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)]
      .map((m) => JSON.parse(m[1]!) as { '@type': string; offers?: { availability?: string } })
      .find((data) => data['@type'] === 'Product');
    expect(soldOutLd?.offers?.availability).toBe('https://schema.org/OutOfStock');
    await page.goto(soldOutPath);
    await page.getByText('Sold out').first().waitFor(WAIT);
    await context.close();
  });

  it('search state lives in the address bar: a reload keeps it, back and forward walk through it', async () => {
    const visit = await visitor(browser, shop.base);
    const { page } = visit;
    const searchbox = page.getByRole('searchbox', { name: 'Search' });
    const inStock = page.getByRole('checkbox', { name: 'In stock only' });
    const sortBy = page.getByRole('combobox', { name: 'Sort by' });
    const results = async () =>
      (await page.getByRole('main').getByRole('link').allTextContents()).filter(
        (name) => !/^(Next|Previous) page$/.test(name.trim()),
      );
    const query = () => new URL(page.url()).searchParams;

    await page.goto('/');
    await searchbox.fill('kettle');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => query().get('q'), WAIT).toBe('kettle');
    await expect.poll(async () => (await results()).join(' '), WAIT).toMatch(/kettle/i);
    const searched = await results();

    await inStock.check();
    await expect.poll(() => query().get('inStock'), WAIT).toBe('true');
    const sortValues = await sortBy
      .getByRole('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    const unsorted = await sortBy.inputValue();
    const sort = sortValues.includes('price_asc')
      ? 'price_asc'
      : sortValues.find((v) => v !== '' && v !== unsorted)!;
    await sortBy.selectOption(sort);
    await expect.poll(() => query().get('sort'), WAIT).toBe(sort);
    await expect.poll(results, WAIT).not.toEqual(searched);
    const sortedUrl = page.url();

    await page.reload();
    expect(page.url()).toBe(sortedUrl);
    await expect.poll(() => searchbox.inputValue(), WAIT).toBe('kettle');
    expect(await inStock.isChecked()).toBe(true);
    expect(await sortBy.inputValue()).toBe(sort);
    // The page the address gives (server-rendered); walking back and forth must show it again. (Read
    // before the reload, the list could be caught between the filter's answer and the sort's.)
    await expect.poll(results, WAIT).not.toEqual(searched);
    const sorted = await results();

    await page.goBack();
    await expect.poll(() => query().get('sort'), WAIT).toBeNull();
    await expect.poll(() => inStock.isChecked(), WAIT).toBe(true);
    await expect.poll(() => sortBy.inputValue(), WAIT).toBe(unsorted);
    await page.goBack();
    await expect.poll(() => query().get('inStock'), WAIT).toBeNull();
    await expect.poll(() => inStock.isChecked(), WAIT).toBe(false);
    await expect.poll(results, WAIT).toEqual(searched);
    await page.goForward();
    await expect.poll(() => inStock.isChecked(), WAIT).toBe(true);
    await page.goForward();
    await expect.poll(() => sortBy.inputValue(), WAIT).toBe(sort);
    await expect.poll(results, WAIT).toEqual(sorted);

    // A facet too: its checkbox is in the address, kept by a reload, undone by going back.
    await page.goto('/?q=kettle');
    const kitchen = page.getByRole('checkbox', { name: /^Kitchen\b/ });
    await kitchen.check();
    await expect.poll(() => query().get('category'), WAIT).toBe('Kitchen');
    await page.reload();
    await expect.poll(() => kitchen.isChecked(), WAIT).toBe(true);
    await page.goBack();
    await expect.poll(() => query().get('category'), WAIT).toBeNull();
    await expect.poll(() => kitchen.isChecked(), WAIT).toBe(false);

    // Paging too: the next page is an address of its own.
    await page.goto('/');
    const first = await results();
    await page.getByRole('link', { name: 'Next page' }).click();
    await expect.poll(() => query().get('page'), WAIT).toBe('2');
    await expect.poll(results, WAIT).not.toEqual(first);
    await page.goBack();
    await expect.poll(results, WAIT).toEqual(first);
    expect(visit.problems.pageErrors).toEqual([]);
    await visit.context.close();
  });
});

describe('accessibility', () => {
  it('axe-core finds no serious or critical violation on the storefront and console pages', async () => {
    await onEveryStop([...STOREFRONT, ...CONSOLE], async (page, stop) => {
      expect.soft(await seriousAxeViolations(page), stop.name).toEqual([]);
    });
  });

  it('every control of web/README.md’s table is reached with the Tab key', async () => {
    await onEveryStop([...STOREFRONT, ...CONSOLE], async (page, stop) => {
      const { missed } = await tabReaches(page, stop.controls(page)).catch((error: Error) => ({
        missed: [`(not found: ${error.message.split('\n')[0]})`],
      }));
      expect.soft(missed, `${stop.name}: controls Tab never reaches`).toEqual([]);
    });
  });

  it('the pages fit a phone-sized screen (375x667): no horizontal scrolling', async () => {
    await onEveryStop(
      [...STOREFRONT, ...CONSOLE],
      async (page, stop) => {
        const { scrollWidth, clientWidth } = await fitsWidth(page);
        expect.soft(scrollWidth, `${stop.name}: page width at 375 px`).toBeLessThanOrEqual(clientWidth);
      },
      { width: 375, height: 667 },
    );
  });
});

describe('speed and safety', () => {
  it('the storefront’s home page loads under 100 KB of compressed JavaScript', async () => {
    const context = await browser.newContext({ baseURL: shop.base });
    const page = await context.newPage();
    const scripts: { url: string; bytes: number; encoding: string }[] = [];
    const finished: Promise<void>[] = [];
    page.on('requestfinished', (request) => {
      if (request.resourceType() !== 'script') return;
      finished.push(
        (async () => {
          const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
          scripts.push({
            url: new URL(request.url()).pathname,
            bytes: sizes.responseBodySize,
            encoding: (await response?.allHeaders())?.['content-encoding'] ?? 'none',
          });
        })(),
      );
    });
    await page.goto('/', { waitUntil: 'load' });
    await page.getByRole('checkbox', { name: 'In stock only' }).waitFor(WAIT);
    await page.waitForLoadState('networkidle');
    await Promise.all(finished);
    const total = scripts.reduce((sum, s) => sum + s.bytes, 0);
    expect(scripts.length, 'scripts loaded').toBeGreaterThan(0);
    expect(scripts.filter((s) => s.encoding === 'none')).toEqual([]);
    expect(total, JSON.stringify(scripts)).toBeLessThan(100 * 1024);
    await context.close();
  });

  it('no console error, uncaught exception or content security policy violation on the pages', async () => {
    const visits = people();
    try {
      for (const stop of [...STOREFRONT, ...CONSOLE]) {
        const page = await open(visits, stop).catch(() => undefined);
        if (page && ['home', 'product'].includes(stop.name)) await screenshot(page, stop.name);
      }
      // The live order page, followed for a moment.
      const { page } = await visits.of('shopper');
      await page.goto(`/shop/orders/${orders.confirmed}`);
      await orderStatus(page).waitFor(WAIT);
      for (const [who, visit] of await visits.all()) {
        expect.soft(visit.problems.missingFiles, `files that did not load (visitor ${who})`).toEqual([]);
        expect.soft(visit.problems.cspViolations, `CSP violations (visitor ${who})`).toEqual([]);
        expect.soft(visit.problems.pageErrors, `uncaught exceptions (visitor ${who})`).toEqual([]);
        expect.soft(visit.problems.consoleErrors, `console errors (visitor ${who})`).toEqual([]);
      }
    } finally {
      await visits.close();
    }
  });
});
