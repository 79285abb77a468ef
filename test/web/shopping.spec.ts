// A shopper in a real browser (Debian's Chromium): a guest's cart merged at sign-in, a checkout seen
// confirmed live, a declined card and an item sold out meanwhile explained with the cart kept.
// Controls are found by role and accessible name (web/README.md), as a screen reader finds them.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentGateway } from '../../src/payments/payment-gateway.ts';
import {
  connectBrowser,
  markPage,
  openShop,
  orderStatus,
  screenshot,
  signInOnStorefront,
  SHOPPER_PASSWORD,
  stillSamePage,
  tabTo,
  untilText,
  visitor,
  WAIT,
  type Shop,
  type Visitor,
} from '../support/browser.ts';

let shop: Shop;
let browser: Browser;

beforeAll(async () => {
  [shop, browser] = await Promise.all([openShop(), connectBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

/** Holds every card authorization until `release()`: the order stays pending while the page is watched. */
function holdAuthorizations(gateway: PaymentGateway) {
  const original = gateway.authorize.bind(gateway);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  gateway.authorize = async (request) => {
    await gate;
    return original(request);
  };
  return {
    release() {
      release();
      gateway.authorize = original;
    },
  };
}

async function addToCart(page: Page, sku: string, quantity: number) {
  await page.goto(`/shop/products/${sku}`);
  const field = page.getByRole('spinbutton', { name: 'Quantity' });
  await field.fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
}

async function openCart(page: Page) {
  await page.getByRole('link', { name: /^Cart\b/ }).click();
  await page.waitForURL(/\/shop\/cart$/, WAIT);
}

/** The cart page's quantity of the product titled `title`, once its field shows. */
async function cartQuantity(page: Page, title: string): Promise<string> {
  const field = page.getByRole('spinbutton', { name: `Quantity of ${title}` });
  await field.waitFor(WAIT);
  return field.inputValue();
}

async function goToCheckout(page: Page) {
  await openCart(page);
  await page
    .getByRole('link', { name: 'Checkout' })
    .or(page.getByRole('button', { name: 'Checkout' }))
    .click();
  await page.waitForURL(/\/shop\/checkout$/, WAIT);
}

/** Chooses the payment method whose radio's name matches `method` in the "Payment method" group. */
async function choosePayment(page: Page, method: RegExp) {
  const group = page.getByRole('radiogroup', { name: 'Payment method' });
  await group.getByRole('radio', { name: method }).check();
}

async function placeOrder(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/shop\/orders\/[^/?#]+$/, WAIT);
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
}

/** No uncaught exception and no content security policy violation on the visitor's pages. */
function expectCleanRun({ problems }: Visitor) {
  expect(problems.missingFiles).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
  expect(problems.cspViolations).toEqual([]);
}

describe('a shopper in the storefront', () => {
  it('adds items as a guest, signs in (the cart merged), checks out with pm_card_visa and sees the order confirmed live', async () => {
    const lamp = await shop.newProduct('Merge Test Desk Lamp', 20, 1500);
    const mug = await shop.newProduct('Merge Test Enamel Mug', 20, 900);
    const shopper = await shop.newShopper('merge');
    // The account already holds one lamp in its cart (from another device).
    await shopper.api.post('/cart/items', { sku: lamp.sku, quantity: 1 });

    const guest = await visitor(browser, shop.base);
    const { page } = guest;
    await page.goto('/');
    await addToCart(page, lamp.sku, 2);
    await addToCart(page, mug.sku, 1);
    await openCart(page);
    expect(await cartQuantity(page, lamp.title)).toBe('2');
    expect(await cartQuantity(page, mug.title)).toBe('1');
    // Still a guest: the account's cart is untouched.
    expect((await shopper.api.get<{ items: unknown[] }>('/cart')).items).toEqual([
      expect.objectContaining({ sku: lamp.sku, quantity: 1 }),
    ]);

    await signInOnStorefront(page, shopper.email, shopper.password);
    await page.getByRole('link', { name: 'Orders' }).waitFor(WAIT);
    // Merged: quantities add up (1 + 2 lamps), the mug joins.
    await expect
      .poll(async () => {
        const cart = await shopper.api.get<{ items: { sku: string; quantity: number }[] }>('/cart');
        return Object.fromEntries(cart.items.map((i) => [i.sku, i.quantity]));
      }, WAIT)
      .toEqual({ [lamp.sku]: 3, [mug.sku]: 1 });
    await openCart(page);
    await expect.poll(() => cartQuantity(page, lamp.title), WAIT).toBe('3');
    expect(await cartQuantity(page, mug.title)).toBe('1');
    await screenshot(page, 'cart');

    await goToCheckout(page);
    await choosePayment(page, /visa/i);
    await screenshot(page, 'checkout');
    const liveRequests: { path: string; search: string; authorization: string | undefined }[] = [];
    const orderReads: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (/^\/orders\/[^/]+\/live$/.test(url.pathname))
        liveRequests.push({
          path: url.pathname,
          search: url.search,
          authorization: request.headers()['authorization'],
        });
      else if (/^\/orders\/[^/]+$/.test(url.pathname)) orderReads.push(url.pathname);
    });

    const held = holdAuthorizations(shop.t.platform.gateway);
    let orderId: string;
    try {
      orderId = await placeOrder(page);
      // Pending while the card is held: the page shows it, then changes by itself.
      await untilText(orderStatus(page), /pending/i);
      await markPage(page);
      // The live stream, its token in a header, never in the address.
      expect(liveRequests.map((r) => r.path)).toContain(`/orders/${orderId}/live`);
      for (const request of liveRequests) {
        expect(request.search).toBe('');
        expect(request.authorization).toMatch(/^Bearer \S+$/);
      }
      // Nothing changes while the card is held: a page that follows the live stream asks nothing meanwhile.
      const readsBefore = orderReads.length;
      await page.waitForTimeout(3_000);
      expect(orderReads.slice(readsBefore)).toEqual([]);
    } finally {
      held.release();
    }
    await untilText(orderStatus(page), /confirmed/i);
    expect(await stillSamePage(page)).toBe(true);
    await screenshot(page, 'order-confirmed');

    const order = await shopper.api.get<{ status: string; lines: { sku: string; quantity: number }[] }>(
      `/orders/${orderId}`,
    );
    expect(order.status).toBe('confirmed');
    expect(order.lines.map(({ sku, quantity }) => ({ sku, quantity }))).toEqual(
      expect.arrayContaining([
        { sku: lamp.sku, quantity: 3 },
        { sku: mug.sku, quantity: 1 },
      ]),
    );
    expectCleanRun(guest);
    await guest.context.close();
  });

  it('explains a declined card (pm_card_chargeDeclined) and keeps the cart, which then checks out', async () => {
    const kettle = await shop.newProduct('Declined Test Kettle', 10, 4200);
    const shopper = await shop.newShopper('declined');
    const visit = await visitor(browser, shop.base);
    const { page } = visit;
    await page.goto('/');
    await signInOnStorefront(page, shopper.email, shopper.password);
    await addToCart(page, kettle.sku, 2);
    await goToCheckout(page);
    await choosePayment(page, /declined/i);
    const declinedOrder = await placeOrder(page);
    await markPage(page);

    // The order page turns to cancelled by itself and says why.
    await page
      .getByRole('alert')
      .filter({ hasText: /declined/i })
      .waitFor(WAIT);
    await untilText(orderStatus(page), /cancelled/i);
    expect(await stillSamePage(page)).toBe(true);
    await screenshot(page, 'order-declined');
    await shop.waitForOrder(shopper.api, declinedOrder, 'cancelled');

    // The cart is kept: the page shows it, after a reload too, and it checks out with another card.
    await openCart(page);
    await expect.poll(() => cartQuantity(page, kettle.title), WAIT).toBe('2');
    await page.reload();
    expect(await cartQuantity(page, kettle.title)).toBe('2');
    await goToCheckout(page);
    await choosePayment(page, /visa/i);
    const paidOrder = await placeOrder(page);
    expect(paidOrder).not.toBe(declinedOrder);
    await untilText(orderStatus(page), /confirmed/i);
    const order = await shop.waitForOrder(shopper.api, paidOrder, 'confirmed');
    expect(order.lines).toEqual([expect.objectContaining({ sku: kettle.sku, quantity: 2 })]);
    expectCleanRun(visit);
    await visit.context.close();
  });

  it('explains an item another buyer took meanwhile ("sold out") and keeps the cart', async () => {
    const lantern = await shop.newProduct('Last Unit Storm Lantern', 1, 3900);
    const shopper = await shop.newShopper('late');
    const visit = await visitor(browser, shop.base);
    const { page } = visit;
    await page.goto('/');
    await signInOnStorefront(page, shopper.email, shopper.password);
    await page.goto(`/shop/products/${lantern.sku}`);
    await page.getByText('Only 1 left').waitFor(WAIT);
    await addToCart(page, lantern.sku, 1);
    await goToCheckout(page);
    await choosePayment(page, /visa/i);

    // Meanwhile another buyer takes the last unit, through the API.
    const rival = await shop.newShopper('rival');
    const rivalOrder = await shop.orderThroughApi(rival.api, [{ sku: lantern.sku, quantity: 1 }]);
    await shop.waitForOrder(rival.api, rivalOrder, 'confirmed');

    await page.getByRole('button', { name: 'Place order' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /sold out/i })
      .waitFor(WAIT);

    await openCart(page);
    await expect.poll(() => cartQuantity(page, lantern.title), WAIT).toBe('1');
    await page.reload();
    expect(await cartQuantity(page, lantern.title)).toBe('1');
    await page.goto(`/shop/products/${lantern.sku}`);
    await page.getByText('Sold out').first().waitFor(WAIT);
    expectCleanRun(visit);
    await visit.context.close();
  });

  it('creates an account from the sign-in page and is signed in', async () => {
    const visit = await visitor(browser, shop.base);
    const { page } = visit;
    const email = `new-${Date.now()}@example.com`;
    const password = 'a sturdy passphrase for a new shopper';
    await page.goto('/shop/sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL(/\/shop\/register/, WAIT);
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Orders', exact: true }).waitFor(WAIT);
    const signedIn = await shop.signIn(email, password);
    expect((await signedIn.get<{ items: unknown[] }>('/cart')).items).toEqual([]);
    expectCleanRun(visit);
    await visit.context.close();
  });

  it('signs in, adds to the cart and checks out with the keyboard alone', async () => {
    const compass = await shop.newProduct('Keyboard Test Pocket Compass', 10, 1800);
    const shopper = await shop.newShopper('keyboard');
    const visit = await visitor(browser, shop.base);
    const { page } = visit;
    const press = (key: string) => page.keyboard.press(key);

    await page.goto('/shop/sign-in');
    await tabTo(page, page.getByRole('textbox', { name: 'Email' }));
    await page.keyboard.type(shopper.email);
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(SHOPPER_PASSWORD);
    await tabTo(page, page.getByRole('button', { name: 'Sign in' }));
    await press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);

    await page.goto(`/shop/products/${compass.sku}`);
    await tabTo(page, page.getByRole('spinbutton', { name: 'Quantity' }));
    await press('ControlOrMeta+a');
    await page.keyboard.type('2');
    await tabTo(page, page.getByRole('button', { name: 'Add to cart' }));
    await press('Enter');
    await expect
      .poll(async () => (await shopper.api.get<{ items: { quantity: number }[] }>('/cart')).items, WAIT)
      .toEqual([expect.objectContaining({ sku: compass.sku, quantity: 2 })]);

    await tabTo(page, page.getByRole('link', { name: /^Cart\b/ }));
    await press('Enter');
    await page.waitForURL(/\/shop\/cart$/, WAIT);
    await tabTo(
      page,
      page.getByRole('link', { name: 'Checkout' }).or(page.getByRole('button', { name: 'Checkout' })),
    );
    await press('Enter');
    await page.waitForURL(/\/shop\/checkout$/, WAIT);
    const methods = page.getByRole('radiogroup', { name: 'Payment method' });
    const visa = methods.getByRole('radio', { name: /visa/i });
    await tabTo(page, methods);
    // Arrow keys move through the group's radios (and check them), as in any radio group.
    for (let i = 0; i < 6 && !(await visa.isChecked()); i++) await press('ArrowDown');
    expect(await visa.isChecked()).toBe(true);
    await tabTo(page, page.getByRole('button', { name: 'Place order' }));
    await press('Enter');
    await page.waitForURL(/\/shop\/orders\/[^/?#]+$/, WAIT);
    await untilText(orderStatus(page), /confirmed/i);
    expectCleanRun(visit);
    await visit.context.close();
  });
});
