import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { inventoryOf, paymentOf, settled, stockProduct } from '../support/shop.ts';
import { decided, gatewayCalls, orderEvents, outcome, screening } from './support.ts';

// The review queue over HTTP: an order a rule holds is `review` before any stock is reserved (it holds
// none, and nothing expires while it waits); admins see which rule held it and approve (the checkout
// goes on) or reject (cancelled, fraud_suspected); its customer is told it is being reviewed, never why.

type Headers = Record<string, string>;

describe('the fraud review queue (embedded, over HTTP)', () => {
  let t: TestApp;
  let address: string;
  let admin: Headers;
  let auditor: Headers;
  let authorizations: ReturnType<typeof gatewayCalls>;

  beforeAll(async () => {
    t = await testApp('embedded', {
      // A first order of 50.00 or more is held; reservations would expire after a second.
      FRAUD_NEW_ACCOUNT_AMOUNT: '5000',
      FRAUD_ORDERS_PER_ADDRESS_PER_HOUR: '3',
      RESERVATION_TTL_SECONDS: '1',
    });
    address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    authorizations = gatewayCalls(t.platform);
    admin = (await signIn(t.app, t.platform, 'review-admin@example.com', 'admin')).headers;
    auditor = (await signIn(t.app, t.platform, 'review-auditor@example.com', 'auditor')).headers;
    await stockProduct(t.platform, 'REV-BIG', 20, 6_000);
    await stockProduct(t.platform, 'REV-SMALL', 50, 1_000);
  });
  afterAll(() => t.close());

  /** A new customer checks out `sku` through the API, from `remoteAddress`. */
  async function newCustomerOrders(email: string, sku: string, remoteAddress = '127.0.0.1') {
    const customer = await signIn(t.app, t.platform, email);
    const added = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: customer.headers,
      payload: { sku, quantity: 1 },
    });
    expect(added.statusCode).toBeLessThan(300);
    const placed = await t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...customer.headers, 'idempotency-key': `review-${email.replace(/\W/g, '-')}` },
      payload: { paymentMethod: 'pm_card_visa' },
      remoteAddress,
    });
    expect(placed.statusCode).toBe(202);
    return { ...customer, orderId: placed.json().orderId as string };
  }

  const review = (orderId: string, decision: string, headers: Headers = admin) =>
    t.app.inject({ method: 'POST', url: `/admin/orders/${orderId}/review`, headers, payload: { decision } });
  const reviews = async (status: string) => {
    const response = await t.app.inject({ url: `/admin/reviews?status=${status}`, headers: admin });
    expect(response.statusCode).toBe(200);
    return response.json().items as { orderId: string; rule: string; status: string }[];
  };

  /** The first message of GET /orders/:orderId/live, read as a browser reads it. */
  async function firstLiveMessage(orderId: string, headers: Headers) {
    const controller = new AbortController();
    const response = await fetch(`${address}/orders/${orderId}/live`, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    controller.abort();
    return text;
  }

  it('holds a new account’s large first order: no stock held, nothing expires, the customer told only that it is reviewed', async () => {
    const ada = await newCustomerOrders('ada-review@example.com', 'REV-BIG');
    expect((await decided(t.platform, ada.orderId)).status).toBe('review');
    expect(await inventoryOf(t.platform, 'REV-BIG')).toMatchObject({ onHand: 20, reserved: 0 });
    await sleep(2_500); // longer than a reservation would have lasted
    expect((await decided(t.platform, ada.orderId)).status).toBe('review');
    expect(await inventoryOf(t.platform, 'REV-BIG')).toMatchObject({ onHand: 20, reserved: 0 });
    expect(authorizations([ada.orderId])).toBe(0);

    // What the customer reads: the status, never the rule, its measures or the decision's details.
    const page = await t.app.inject({ url: `/orders/${ada.orderId}`, headers: ada.headers });
    expect(page.json()).toMatchObject({ status: 'review' });
    expect(page.json().timeline).toEqual([
      { event: 'OrderPlaced', status: 'pending', at: expect.any(String) },
      { event: 'OrderScreened', status: 'review', at: expect.any(String) },
    ]);
    const history = await t.app.inject({ url: `/orders/${ada.orderId}/events`, headers: ada.headers });
    const live = await firstLiveMessage(ada.orderId, ada.headers);
    await expect
      .poll(
        async () => (await t.app.inject({ url: '/orders', headers: ada.headers })).json().items[0]?.status,
      )
      .toBe('review');
    const list = await t.app.inject({ url: '/orders', headers: ada.headers });
    for (const body of [page.body, history.body, live, list.body]) {
      expect(body).not.toContain('new_account_amount');
      expect(body).not.toContain('measures');
      expect(body).not.toContain('clientKey');
    }
    expect(live).toContain('"status":"review"');
    const screened = (history.json() as { type: string; data: object }[]).find(
      (e) => e.type === 'OrderScreened',
    );
    expect(screened?.data).toEqual({ orderId: ada.orderId, at: expect.any(String) });

    // Admins and auditors read the whole story.
    const whole = await t.app.inject({ url: `/orders/${ada.orderId}/events`, headers: auditor });
    expect(whole.body).toContain('new_account_amount');
    await expect.poll(async () => (await reviews('open')).map((r) => r.orderId)).toContain(ada.orderId);
    const queue = await t.app.inject({ url: '/admin/reviews', headers: auditor });
    expect(queue.statusCode).toBe(200);
    expect(queue.json().items).toContainEqual({
      orderId: ada.orderId,
      customerId: ada.userId,
      rule: 'new_account_amount',
      measures: expect.objectContaining({ orderAmount: 6_000, confirmedOrders: 0 }),
      total: { amount: 6_000, currency: 'USD' },
      status: 'open',
      heldAt: expect.any(String),
    });
    expect((await t.app.inject({ url: '/admin/reviews', headers: ada.headers })).statusCode).toBe(403);

    // Approved, the checkout goes on where it waited: reserved, authorized, confirmed, captured.
    expect((await review(ada.orderId, 'approve', ada.headers)).statusCode).toBe(403);
    expect((await review(ada.orderId, 'approve', auditor)).statusCode).toBe(403);
    const approved = await review(ada.orderId, 'approve');
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toEqual({ orderId: ada.orderId, status: 'pending' });
    expect(outcome(await settled(t.platform, ada.orderId))).toBe('confirmed');
    await expect.poll(async () => (await paymentOf(t.platform, ada.orderId)).status).toBe('captured');
    expect(authorizations([ada.orderId])).toBe(1);
    const confirmed = await t.app.inject({ url: `/orders/${ada.orderId}`, headers: ada.headers });
    expect(confirmed.json().timeline.map((e: { event: string }) => e.event)).toEqual([
      'OrderPlaced',
      'OrderScreened',
      'OrderReviewed',
      'OrderConfirmed',
    ]);
    expect(await inventoryOf(t.platform, 'REV-BIG')).toMatchObject({ onHand: 19, reserved: 0 });
    expect((await orderEvents(t.platform, ada.orderId)).map((e) => e.type).slice(0, 4)).toEqual([
      'OrderPlaced',
      'OrderScreened',
      'OrderReviewed',
      'OrderLineReserved',
    ]);

    // The same decision again changes nothing; the other one is too late.
    expect((await review(ada.orderId, 'approve')).statusCode).toBe(200);
    const late = await review(ada.orderId, 'reject');
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'OrderNotInReview' });
    await expect.poll(async () => (await reviews('approved')).map((r) => r.orderId)).toContain(ada.orderId);
  });

  it('rejected, an order is cancelled for fraud_suspected and never reaches the gateway', async () => {
    const bo = await newCustomerOrders('bo-review@example.com', 'REV-BIG');
    expect((await decided(t.platform, bo.orderId)).status).toBe('review');
    const rejected = await review(bo.orderId, 'reject');
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toEqual({ orderId: bo.orderId, status: 'cancelled' });
    const page = await t.app.inject({ url: `/orders/${bo.orderId}`, headers: bo.headers });
    expect(page.json()).toMatchObject({ status: 'cancelled', reason: 'fraud_suspected' });
    expect(page.body).not.toContain('new_account_amount');
    await expect.poll(async () => (await reviews('rejected')).map((r) => r.orderId)).toContain(bo.orderId);
    await sleep(300); // the saga, queued again by the review, has nothing to give back
    expect(authorizations([bo.orderId])).toBe(0);
    expect(await inventoryOf(t.platform, 'REV-BIG')).toMatchObject({ reserved: 0 });
  });

  it('lets a customer call off an order held for review', async () => {
    const cy = await newCustomerOrders('cy-review@example.com', 'REV-BIG');
    expect((await decided(t.platform, cy.orderId)).status).toBe('review');
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/orders/${cy.orderId}/cancel`,
      headers: cy.headers,
    });
    expect(cancelled.json()).toEqual({ orderId: cy.orderId, status: 'cancelled' });
    await expect.poll(async () => (await reviews('cancelled')).map((r) => r.orderId)).toContain(cy.orderId);
    expect((await review(cy.orderId, 'approve')).statusCode).toBe(409);
  });

  it('answers 404 for an order that does not exist', async () => {
    expect((await review('00000000-0000-4000-8000-000000000000', 'approve')).statusCode).toBe(404);
  });

  it('counts orders per client address by a keyed hash, and not this machine’s own', async () => {
    const remote = '203.0.113.9';
    const orders = [];
    for (let i = 0; i < 4; i++)
      orders.push(await newCustomerOrders(`addr-${i}@example.com`, 'REV-SMALL', remote));
    const local = await newCustomerOrders('addr-local@example.com', 'REV-SMALL');
    const outcomes = await Promise.all(
      [...orders, local].map(async (o) => outcome(await decided(t.platform, o.orderId))),
    );
    expect(outcomes).toEqual(['confirmed', 'confirmed', 'confirmed', 'review', 'confirmed']);
    expect((await screening(t.platform, orders[3]!.orderId))?.data).toMatchObject({
      decision: 'review',
      rule: 'orders_per_address',
      measures: expect.objectContaining({ ordersFromAddressLastHour: 3 }),
    });
    const keyOf = async (orderId: string) =>
      ((await orderEvents(t.platform, orderId))[0]!.data as { clientKey?: string }).clientKey;
    const keys = await Promise.all(orders.map((o) => keyOf(o.orderId)));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[\w-]{32}$/);
    expect(JSON.stringify(await orderEvents(t.platform, orders[0]!.orderId))).not.toContain(remote);
    expect(await keyOf(local.orderId)).toBeUndefined();
    // An allowed order's timeline says nothing of the rules.
    const allowed = await t.app.inject({ url: `/orders/${local.orderId}`, headers: local.headers });
    expect(allowed.json().timeline.map((e: { event: string }) => e.event)).toEqual([
      'OrderPlaced',
      'OrderConfirmed',
    ]);
  });
});
