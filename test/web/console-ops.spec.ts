// The console's operations pages, in a real browser: an admin switches a SKU's flash-sale gate on from
// the gate page and reads there what it admitted and refused, then back to auto and off; and the fraud
// review queue, where an admin reads which rule held an order and approves one (it goes on to be
// confirmed) and rejects another (it is cancelled).
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBrowser,
  openShop,
  screenshot,
  signInToConsole,
  visitor,
  WAIT,
  type Api,
  type Shop,
  type Visitor,
} from '../support/browser.ts';

let shop: Shop;
let browser: Browser;
let admin: Api;

beforeAll(async () => {
  [shop, browser] = await Promise.all([
    // A new account's first order of 50.00 or more is held for review (the default is 1,000.00).
    openShop({ FRAUD_NEW_ACCOUNT_AMOUNT: '5000' }),
    connectBrowser(),
  ]);
  admin = await shop.signIn('admin@demo.local');
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

function expectCleanRun(...visits: Visitor[]) {
  for (const { problems } of visits) {
    expect(problems.missingFiles).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
  }
}

type GateView = {
  sku: string;
  mode: string;
  on: boolean;
  reason: string;
  switchedBy: string | null;
  available: number | null;
  remaining: number | null;
  admittedUnreserved: number;
  admitted: number;
  refused: number;
};

/** The gate table's row of `sku`, read as its columns say (the SKU is the row's header). */
async function gateRow(page: Page, sku: string): Promise<Record<string, string> | undefined> {
  const table = page.getByRole('table');
  if ((await table.count()) === 0) return undefined;
  const headers = (await table.getByRole('columnheader').allTextContents()).map((h) => h.trim());
  const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: sku, exact: true }) });
  if ((await row.count()) !== 1) return undefined;
  const cells = (await row.getByRole('cell').allTextContents()).map((c) => c.trim());
  // The first column is the row header (the SKU); the cells are the other columns, in order.
  return Object.fromEntries(headers.slice(1).map((header, i) => [header, cells[i] ?? '']));
}

/** A definition list's terms and what each says, of `within` (a review card). */
async function facts(within: Locator): Promise<Record<string, string>> {
  const terms = await within.getByRole('term').allTextContents();
  const definitions = await within.getByRole('definition').allTextContents();
  return Object.fromEntries(terms.map((term, i) => [term.trim(), (definitions[i] ?? '').trim()]));
}

describe('the console’s operations pages', () => {
  it('an admin switches a SKU’s flash-sale gate on from the gate page and sees it on, then what it admitted and refused; back to auto and off, the page and the API agree', async () => {
    const product = await shop.newProduct('Gate Test Porcelain Teapot', 1, 1500);
    const { sku } = product;
    const gateOf = () => admin.get<GateView>(`/admin/gate/${sku}`);
    expect(await gateOf()).toMatchObject({ sku, mode: 'auto', on: false });

    const operator = await visitor(browser, shop.base);
    const { page } = operator;
    await signInToConsole(page, 'admin@demo.local');
    await page.getByRole('link', { name: 'Flash sales' }).click();
    await page.waitForURL(/\/console\/gate$/, WAIT);
    await page.getByRole('heading', { name: 'Flash-sale gate' }).waitFor(WAIT);
    expect(await gateRow(page, sku)).toBeUndefined();

    // Switched on with the page's own form, before the sale starts.
    await page.getByRole('textbox', { name: 'SKU' }).fill(sku);
    await page.getByRole('combobox', { name: 'Gate', exact: true }).selectOption({ label: 'On' });
    await page.getByRole('button', { name: 'Set gate', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `The gate of ${sku} is switched on (on now).` })
      .waitFor(WAIT);
    await expect.poll(async () => (await gateRow(page, sku))?.Gate, WAIT).toBe('On');
    expect((await gateRow(page, sku))?.Why).toMatch(/^Switched on by admin@demo\.local/);
    expect(await page.getByRole('combobox', { name: `Gate of ${sku}` }).inputValue()).toBe('on');
    expect(await gateOf()).toMatchObject({
      sku,
      mode: 'on',
      on: true,
      reason: 'switched-on',
      switchedBy: 'admin@demo.local',
    });

    // The sale: one unit, two buyers with it in their carts; the gate admits the first checkout and
    // refuses the second as sold out.
    await expect.poll(async () => (await gateOf()).remaining, WAIT).toBe(1);
    const first = await shop.newShopper('gate-first');
    const second = await shop.newShopper('gate-second');
    await second.api.post('/cart/items', { sku, quantity: 1 });
    const firstOrder = await shop.orderThroughApi(first.api, [{ sku, quantity: 1 }]);
    await shop.waitForOrder(first.api, firstOrder, 'confirmed');
    const refused = await second.api.call(
      'POST',
      '/checkout',
      { paymentMethod: 'pm_card_visa' },
      { 'idempotency-key': `e2e-gate-second-${sku}` },
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SoldOut' });

    // The page, refreshing by itself, shows the counts; the API says the same.
    await expect
      .poll(async () => {
        const row = await gateRow(page, sku);
        return row && [row.Gate, row.Available, row.Remaining, row.Admitted, row.Refused];
      }, WAIT)
      .toEqual(['On', '0', '0', '1', '1']);
    await screenshot(page, 'console-gate-on');
    expect(await gateOf()).toMatchObject({
      mode: 'on',
      on: true,
      available: 0,
      remaining: 0,
      admitted: 1,
      refused: 1,
    });

    // Back to auto with the row's own switch: off now, as nothing is hot.
    await page.getByRole('combobox', { name: `Gate of ${sku}` }).selectOption({ label: 'Auto' });
    await page.getByRole('button', { name: `Set gate of ${sku}` }).click();
    await expect.poll(async () => (await gateRow(page, sku))?.Gate, WAIT).toBe('Off');
    expect((await gateRow(page, sku))?.Why).toMatch(/^Not hot: turns on at \d+ checkouts a second$/);
    expect(await page.getByRole('combobox', { name: `Gate of ${sku}` }).inputValue()).toBe('auto');
    expect(await gateOf()).toMatchObject({
      mode: 'auto',
      on: false,
      reason: 'not-hot',
      admitted: 1,
      refused: 1,
    });

    // And off for good: an admin's switch, named on the page.
    await page.getByRole('combobox', { name: `Gate of ${sku}` }).selectOption({ label: 'Off' });
    await page.getByRole('button', { name: `Set gate of ${sku}` }).click();
    await expect
      .poll(async () => (await gateRow(page, sku))?.Why, WAIT)
      .toMatch(/^Switched off by admin@demo\.local/);
    expect((await gateRow(page, sku))?.Gate).toBe('Off');
    expect(await gateOf()).toMatchObject({
      mode: 'off',
      on: false,
      reason: 'switched-off',
      switchedBy: 'admin@demo.local',
    });
    await screenshot(page, 'console-gate-off');
    expectCleanRun(operator);
    await operator.context.close();
  });

  it('orders held for review are in the console’s queue with their rule; the admin approves one (confirmed) and rejects the other (cancelled), and both leave the queue', async () => {
    const product = await shop.newProduct('Review Test Marble Chess Set', 5, 6000);
    const held = [];
    for (const name of ['review-approved', 'review-rejected']) {
      const customer = await shop.newShopper(name);
      const orderId = await shop.orderThroughApi(customer.api, [{ sku: product.sku, quantity: 1 }]);
      await shop.waitForOrder(customer.api, orderId, 'review');
      held.push({ customer, orderId });
    }
    const [approved, rejected] = held as [(typeof held)[0], (typeof held)[0]];
    const queue = async (status: string) =>
      (await admin.get<{ items: { orderId: string }[] }>(`/admin/reviews?status=${status}`)).items.map(
        (r) => r.orderId,
      );
    await expect
      .poll(() => queue('open'), WAIT)
      .toEqual(expect.arrayContaining([approved.orderId, rejected.orderId]));

    const operator = await visitor(browser, shop.base);
    const { page } = operator;
    await signInToConsole(page, 'admin@demo.local');
    await page.getByRole('link', { name: 'Reviews' }).click();
    await page.waitForURL(/\/console\/reviews$/, WAIT);
    const tabs = page.getByRole('navigation', { name: 'Which reviews' });
    expect(await tabs.getByRole('link', { name: 'To review' }).getAttribute('aria-current')).toBe('page');
    const card = (orderId: string) => page.getByRole('article', { name: `Order ${orderId}` });
    await card(approved.orderId).waitFor(WAIT);
    await card(rejected.orderId).waitFor(WAIT);
    await screenshot(page, 'console-reviews');

    // What the admin reads: the rule that held it (in words), the total, and what the rule measured.
    for (const { orderId } of held)
      expect(await facts(card(orderId))).toMatchObject({
        Rule: 'First order of a new account',
        Total: '$60.00',
        Status: 'open',
        'Confirmed orders before': '0',
      });

    // Approved: the card leaves the queue, the other stays; the checkout goes on to confirmed.
    await card(approved.orderId).getByRole('button', { name: 'Approve' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /approved: its checkout goes on/ })
      .waitFor(WAIT);
    await card(approved.orderId).waitFor({ ...WAIT, state: 'detached' });
    expect(await card(rejected.orderId).count()).toBe(1);
    await shop.waitForOrder(approved.customer.api, approved.orderId, 'confirmed');
    await expect.poll(() => queue('approved'), WAIT).toContain(approved.orderId);

    // Rejected: it leaves the queue too, and the order is cancelled as suspected fraud.
    await card(rejected.orderId).getByRole('button', { name: 'Reject' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /rejected: it is cancelled/ })
      .waitFor(WAIT);
    await card(rejected.orderId).waitFor({ ...WAIT, state: 'detached' });
    const cancelled = await shop.waitForOrder(rejected.customer.api, rejected.orderId, 'cancelled');
    expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'fraud_suspected' });
    await expect.poll(() => queue('rejected'), WAIT).toContain(rejected.orderId);
    await screenshot(page, 'console-reviews-decided');

    // The "Approved" tab lists the approved order, with no decision left to take.
    await tabs.getByRole('link', { name: 'Approved' }).click();
    await page.waitForURL(/\/console\/reviews\?status=approved$/, WAIT);
    await card(approved.orderId).waitFor(WAIT);
    expect((await facts(card(approved.orderId))).Status).toMatch(/^approved, /);
    expect(await card(approved.orderId).getByRole('button').count()).toBe(0);
    expect(await card(rejected.orderId).count()).toBe(0);
    expectCleanRun(operator);
    await operator.context.close();
  });
});
