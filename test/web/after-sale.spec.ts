// After the sale, in a real browser: an admin ships from the console while the customer's order page
// is open (it changes by itself), a return from the customer's request to the admin's receipt and the
// refund on the customer's page, and an auditor verifying an order's hash chain, intact then tampered.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBrowser,
  markPage,
  openShop,
  orderStatus,
  screenshot,
  signInOnStorefront,
  signInToConsole,
  stillSamePage,
  untilText,
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
  [shop, browser] = await Promise.all([openShop(), connectBrowser()]);
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

/** A customer with a confirmed order of `quantity` units of a new product, placed through the API. */
async function confirmedOrder(title: string, quantity: number, amount: number) {
  const product = await shop.newProduct(title, 10, amount);
  const customer = await shop.newShopper('after-sale');
  const orderId = await shop.orderThroughApi(customer.api, [{ sku: product.sku, quantity }]);
  await shop.waitForOrder(customer.api, orderId, 'confirmed');
  return { product, customer, orderId };
}

/** The customer, signed in on the storefront, with their order's page open. */
async function customerOnOrderPage(customer: { email: string; password: string }, orderId: string) {
  const visit = await visitor(browser, shop.base);
  await visit.page.goto('/');
  await signInOnStorefront(visit.page, customer.email, customer.password);
  await visit.page.goto(`/shop/orders/${orderId}`);
  await orderStatus(visit.page).waitFor(WAIT);
  return visit;
}

/**
 * Ships the order's remaining units from the console's order page: its "Ship" form with the carrier
 * and the tracking number (fields the README's table does not name yet: "Carrier", "Tracking number").
 */
async function shipFromConsole(page: Page, trackingNumber: string) {
  await page.getByRole('textbox', { name: 'Carrier' }).fill('Parcelfast');
  await page.getByRole('textbox', { name: 'Tracking number' }).fill(trackingNumber);
  await page.getByRole('button', { name: 'Ship' }).click();
}

describe('after the sale', () => {
  it('an admin ships an order in the console, then marks it delivered; the customer’s open order page shows it shipped with the tracking number, then delivered, live', async () => {
    const { product, customer, orderId } = await confirmedOrder('Ship Test Desk Globe', 2, 5400);
    const shopper = await customerOnOrderPage(customer, orderId);
    await untilText(orderStatus(shopper.page), /confirmed/i);
    await markPage(shopper.page);

    const operator = await visitor(browser, shop.base);
    await signInToConsole(operator.page, 'admin@demo.local');
    await operator.page.getByRole('link', { name: 'Orders' }).click();
    await operator.page.waitForURL(/\/console\/orders/, WAIT);
    await operator.page.getByText(product.title).or(operator.page.getByText(orderId)).first().waitFor(WAIT);
    await screenshot(operator.page, 'console-orders');
    await operator.page.goto(`/console/orders/${orderId}`);
    await operator.page.getByRole('button', { name: 'Ship' }).waitFor(WAIT);
    await screenshot(operator.page, 'console-order');

    const trackingNumber = `TRK${randomUUID().slice(0, 10).toUpperCase()}`;
    await shipFromConsole(operator.page, trackingNumber);

    await untilText(orderStatus(shopper.page), /shipped/i);
    await shopper.page.getByText(trackingNumber).waitFor(WAIT);
    expect(await stillSamePage(shopper.page)).toBe(true);
    await screenshot(shopper.page, 'order-shipped');

    const order = await customer.api.get<{ status: string; shipments: { trackingNumber: string }[] }>(
      `/orders/${orderId}`,
    );
    expect(order.status).toBe('shipped');
    expect(order.shipments.map((s) => s.trackingNumber)).toEqual([trackingNumber]);

    // Then delivered: the same page, still not loaded again, follows.
    await operator.page.getByRole('button', { name: 'Mark delivered' }).click();
    await untilText(orderStatus(shopper.page), /delivered/i);
    expect(await stillSamePage(shopper.page)).toBe(true);
    await shop.waitForOrder(customer.api, orderId, 'delivered');
    expectCleanRun(shopper, operator);
    await Promise.all([shopper.context.close(), operator.context.close()]);
  });

  it('a return: the customer asks on a delivered order, the admin receives it in the console, the customer’s page shows the refund', async () => {
    const { product, customer, orderId } = await confirmedOrder('Return Test Wool Scarf', 1, 3000);
    const { shipmentId } = await admin.post<{ shipmentId: string }>(
      `/admin/orders/${orderId}/shipments`,
      { lines: [{ sku: product.sku, quantity: 1 }], carrier: 'Parcelfast', trackingNumber: 'TRKRETURN1' },
      { 'idempotency-key': `e2e-${randomUUID()}` },
    );
    await admin.post(`/admin/orders/${orderId}/shipments/${shipmentId}/delivery`);
    await shop.waitForOrder(customer.api, orderId, 'delivered');

    const shopper = await customerOnOrderPage(customer, orderId);
    await untilText(orderStatus(shopper.page), /delivered/i);
    await markPage(shopper.page);
    await shopper.page.getByRole('spinbutton', { name: `Return quantity of ${product.title}` }).fill('1');
    await shopper.page.getByRole('textbox', { name: 'Reason' }).fill('Too itchy');
    await shopper.page.getByRole('button', { name: 'Request return' }).click();
    await expect
      .poll(async () => {
        const order = await customer.api.get<{ returns: { status: string }[] }>(`/orders/${orderId}`);
        return order.returns.length;
      }, WAIT)
      .toBe(1);
    await screenshot(shopper.page, 'order-return-requested');

    const operator = await visitor(browser, shop.base);
    await signInToConsole(operator.page, 'admin@demo.local');
    await operator.page.getByRole('link', { name: 'Returns' }).click();
    await operator.page.waitForURL(/\/console\/returns/, WAIT);
    const receive = operator.page.getByRole('button', { name: 'Receive' });
    await receive.waitFor(WAIT);
    await screenshot(operator.page, 'console-returns');
    await receive.click();
    await expect
      .poll(async () => {
        const order = await customer.api.get<{ returns: { status: string }[] }>(`/orders/${orderId}`);
        return order.returns[0]?.status;
      }, WAIT)
      .toBe('received');

    // The whole order refunded: the customer's page says so, with the amount, without a reload.
    await untilText(orderStatus(shopper.page), /refunded/i);
    await shopper.page.getByText('$30.00').first().waitFor(WAIT);
    expect(await stillSamePage(shopper.page)).toBe(true);
    await screenshot(shopper.page, 'order-refunded');
    const order = await customer.api.get<{ status: string; refunded: { amount: number } }>(
      `/orders/${orderId}`,
    );
    expect(order).toMatchObject({ status: 'refunded', refunded: { amount: 3000 } });
    expectCleanRun(shopper, operator);
    await Promise.all([shopper.context.close(), operator.context.close()]);
  });

  it('an auditor verifies an order’s hash chain in the console: "Chain valid", then "Chain broken" once an event is edited behind the store’s back', async () => {
    const { orderId } = await confirmedOrder('Audit Test Brass Compass', 1, 2500);
    const stream = `order-${orderId}`;
    const auditor = await visitor(browser, shop.base);
    const { page } = auditor;
    await signInToConsole(page, 'auditor@demo.local');
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(/\/console\/audit/, WAIT);
    await page.getByRole('textbox', { name: 'Stream id' }).fill(stream);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Chain valid').waitFor(WAIT);
    expect(await page.getByText('Chain broken').count()).toBe(0);
    await screenshot(page, 'audit');

    // The stream's events exported as NDJSON: one JSON event per line, all of them, in order.
    const recorded = await admin.get<{ events: { type: string }[] }>(`/streams/${stream}`);
    expect(recorded.events.length, 'events of a confirmed order').toBeGreaterThanOrEqual(2);
    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const exported = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { type: string });
    expect(exported.map((e) => e.type)).toEqual(recorded.events.map((e) => e.type));

    // Tampered with in the database, past the event store: the order's first event's data edited.
    await shop.t.platform.db.query(
      `UPDATE es_events SET data = jsonb_set(data, '{tampered}', 'true')
        WHERE stream_id = $1 AND stream_version = 1`,
      [stream],
    );
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Chain broken').waitFor(WAIT);
    expect(await page.getByText('Chain valid').count()).toBe(0);
    await screenshot(page, 'audit-broken');
    expectCleanRun(auditor);
    await auditor.context.close();
  });
});
