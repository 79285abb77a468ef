import { isRight } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor } from '../../src/commands/checkout.ts';
import { streams } from '../../src/commands/index.ts';
import { CommandHandler } from '../../src/commands/command-handler.ts';
import { cartDecider } from '../../src/domain/cart/index.ts';
import { orderDecider } from '../../src/domain/order/index.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { settled, stockProduct } from '../support/shop.ts';

describe.each(['embedded', 'postgres'] as const)('checkout and orders over HTTP (%s)', (profile) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp(profile, { PAYMENT_TIMEOUT_MS: '500' });
    await stockProduct(t.platform, 'HTTP-1', 10, 1250);
  });
  afterAll(() => t.close());

  const fillCart = async (headers: Record<string, string>, sku = 'HTTP-1', quantity = 2) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers,
      payload: { sku, quantity },
    });
    expect(response.statusCode).toBeLessThan(300);
  };
  const checkout = (headers: Record<string, string>, key: string, paymentMethod = 'pm_card_visa') =>
    t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...headers, 'idempotency-key': key },
      payload: { paymentMethod },
    });

  it('accepts a checkout with 202, confirms it, and shows it in the order history', async () => {
    const ada = await signIn(t.app, t.platform, `ada-${profile}@example.com`);
    await fillCart(ada.headers);
    const placed = await checkout(ada.headers, 'checkout-key-0001');
    expect(placed.statusCode).toBe(202);
    const { orderId, status, statusUrl } = placed.json();
    expect(status).toBe('pending');
    expect(statusUrl).toBe(`/orders/${orderId}`);
    await settled(t.platform, orderId);
    const order = await t.app.inject({ method: 'GET', url: statusUrl, headers: ada.headers });
    expect(order.json()).toMatchObject({
      orderId,
      status: 'confirmed',
      total: { amount: 2500, currency: 'USD' },
    });
    await expect
      .poll(
        async () =>
          (await t.app.inject({ method: 'GET', url: '/orders', headers: ada.headers })).json().items,
      )
      .toEqual([expect.objectContaining({ orderId, status: 'confirmed' })]);
    const events = (
      await t.app.inject({ method: 'GET', url: `${statusUrl}/events`, headers: ada.headers })
    ).json();
    expect(events.map((e: { type: string }) => e.type)).toContain('OrderConfirmed');
    expect(events[0]).toMatchObject({ version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const cart = await t.app.inject({ method: 'GET', url: '/cart', headers: ada.headers });
    expect(cart.json().items).toEqual([]);
  });

  it('answers a repeated Idempotency-Key with the same order, and a different body with 422', async () => {
    const bob = await signIn(t.app, t.platform, `bob-${profile}@example.com`);
    await fillCart(bob.headers);
    const first = await checkout(bob.headers, 'checkout-key-0002');
    const again = await checkout(bob.headers, 'checkout-key-0002');
    expect(again.statusCode).toBe(202);
    expect(again.json().orderId).toBe(first.json().orderId);
    const different = await checkout(bob.headers, 'checkout-key-0002', 'pm_card_mastercard');
    expect(different.statusCode).toBe(422);
    expect(different.headers['content-type']).toContain('application/problem+json');
  });

  it('leaves a cart filled after the order was placed open when its key is used again (a cart closes only with the order it made)', async () => {
    const di = await signIn(t.app, t.platform, `di-${profile}@example.com`);
    const sku = `HTTP-4-${profile}`;
    await stockProduct(t.platform, sku, 5, 1250);
    // The first checkout with the key was served by another process (its order is not held here);
    // then the customer filled a new cart.
    const orderId = orderIdFor(di.userId, 'checkout-key-0004');
    const elsewhere = new CommandHandler(t.platform.store, orderDecider);
    await elsewhere.handle(
      streams.order(orderId),
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          customerId: di.userId,
          lines: [{ sku, quantity: 1, unitPrice: { amount: 1250, currency: 'USD' } }],
          paymentMethod: 'pm_card_visa',
          placedAt: new Date().toISOString(),
        },
      },
      { actor: { id: di.userId, role: 'customer' }, correlationId: 'the-first-checkout' },
    );
    await fillCart(di.headers, sku, 3);
    const again = await checkout(di.headers, 'checkout-key-0004');
    expect(again.statusCode).toBe(202);
    expect(again.json().orderId).toBe(orderId);
    expect((await checkout(di.headers, 'checkout-key-0004', 'pm_card_mastercard')).statusCode).toBe(422);
    const cart = await t.app.inject({ method: 'GET', url: '/cart', headers: di.headers });
    expect(cart.json().items).toEqual([expect.objectContaining({ sku, quantity: 3 })]);
    const placements = (await t.platform.store.readStream(streams.order(orderId))).filter(
      (e) => e.type === 'OrderPlaced',
    );
    expect(placements.map((e) => e.data)).toEqual([
      expect.objectContaining({ lines: [expect.objectContaining({ sku, quantity: 1 })] }),
    ]);
  });

  it('prices the cart as it is, when another process changed it since this one last saw it', async () => {
    const ed = await signIn(t.app, t.platform, `ed-${profile}@example.com`);
    await stockProduct(t.platform, `HTTP-2-${profile}`, 5, 1250);
    await stockProduct(t.platform, `HTTP-3-${profile}`, 5, 700);
    await fillCart(ed.headers, `HTTP-2-${profile}`, 1);
    // Another API process adds a second product to the same cart.
    const elsewhere = new CommandHandler(t.platform.store, cartDecider);
    const added = await elsewhere.handle(
      streams.cart(`${ed.userId}.1`),
      {
        type: 'AddItem',
        data: { cartId: `${ed.userId}.1`, sku: `HTTP-3-${profile}`, quantity: 2, maxQuantity: 5 },
      },
      { actor: { id: ed.userId, role: 'customer' }, correlationId: 'another-tab' },
    );
    expect(isRight(added)).toBe(true);
    const placed = await checkout(ed.headers, 'checkout-key-0005');
    expect(placed.statusCode).toBe(202);
    const order = await t.app.inject({ method: 'GET', url: placed.json().statusUrl, headers: ed.headers });
    expect(order.json().total).toEqual({ amount: 1250 + 2 * 700, currency: 'USD' });
  });

  it('answers a retry whose first try placed the order elsewhere but left the cart open with that order, placed once', async () => {
    const cy = await signIn(t.app, t.platform, `cy-${profile}@example.com`);
    await fillCart(cy.headers);
    // The first try, in another process, appended the order and stopped before closing the cart.
    const orderId = orderIdFor(cy.userId, 'checkout-key-0003');
    const elsewhere = new CommandHandler(t.platform.store, orderDecider);
    const first = await elsewhere.handle(
      streams.order(orderId),
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          customerId: cy.userId,
          lines: [{ sku: 'HTTP-1', quantity: 2, unitPrice: { amount: 1250, currency: 'USD' } }],
          paymentMethod: 'pm_card_visa',
          placedAt: new Date().toISOString(),
        },
      },
      { actor: { id: cy.userId, role: 'customer' }, correlationId: 'the-first-try' },
    );
    expect(isRight(first)).toBe(true);

    const again = await checkout(cy.headers, 'checkout-key-0003');
    expect(again.statusCode).toBe(202);
    expect(again.json().orderId).toBe(orderId);
    const events = await t.platform.store.readStream(streams.order(orderId));
    expect(events.filter((e) => e.type === 'OrderPlaced')).toHaveLength(1);
  });

  it('hides one customer’s orders from another (404) but shows them to auditors', async () => {
    const owner = await signIn(t.app, t.platform, `owner-${profile}@example.com`);
    const other = await signIn(t.app, t.platform, `other-${profile}@example.com`);
    const auditor = await signIn(t.app, t.platform, `auditor-${profile}@example.com`, 'auditor');
    await fillCart(owner.headers, 'HTTP-1', 1);
    const { orderId } = (await checkout(owner.headers, 'checkout-key-0003')).json();
    for (const url of [`/orders/${orderId}`, `/orders/${orderId}/events`]) {
      expect((await t.app.inject({ method: 'GET', url, headers: other.headers })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url, headers: auditor.headers })).statusCode).toBe(200);
    }
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/orders/${orderId}/cancel`,
      headers: other.headers,
    });
    expect(cancel.statusCode).toBe(404);
    const list = await t.app.inject({ method: 'GET', url: '/orders', headers: other.headers });
    expect(list.json().items).toEqual([]);
  });

  it('refuses state changes without a token (401) and checkout without an Idempotency-Key (400)', async () => {
    expect(
      (await t.app.inject({ method: 'POST', url: '/checkout', payload: { paymentMethod: 'pm_card_visa' } }))
        .statusCode,
    ).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/orders' })).statusCode).toBe(401);
    const carol = await signIn(t.app, t.platform, `carol-${profile}@example.com`);
    const noKey = await t.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: carol.headers,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(noKey.statusCode).toBe(400);
    const emptyCart = await checkout(carol.headers, 'checkout-key-0004');
    expect(emptyCart.statusCode).toBe(422);
    const cardNumber = await checkout(carol.headers, 'checkout-key-0005', '4242424242424242');
    expect(cardNumber.statusCode).toBeGreaterThanOrEqual(400);
    expect(cardNumber.statusCode).toBeLessThan(500);
    expect(cardNumber.body).not.toContain('4242424242424242');
  });

  it('refuses every way of writing a card number with 400, before anything is appended', async () => {
    const dave = await signIn(t.app, t.platform, `dave-${profile}@example.com`);
    await fillCart(dave.headers);
    const variants = [
      '4242.4242.4242.4242',
      '4242_4242_4242_4242',
      '4242/4242/4242/4242',
      '4242  4242  4242  4242',
      '４２４２４２４２４２４２４２４２',
      'pm_4242424242424242',
      'tok_4242_4242_4242_4242',
    ];
    for (const [i, paymentMethod] of variants.entries()) {
      const key = `card-variant-${i}-key`;
      const refused = await checkout(dave.headers, key, paymentMethod);
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body).not.toContain(paymentMethod);
      expect(refused.body.replace(/\D/g, '')).not.toContain('4242424242424242');
      expect(await t.platform.store.streamVersion(streams.order(orderIdFor(dave.userId, key)))).toBe(0);
    }
    const log = (await t.platform.store.readAll({ maxCount: 1_000_000 })).events;
    expect(JSON.stringify(log.map((e) => e.data))).not.toMatch(/4242.?4242.?4242.?4242|４２４２/);
    const accepted = await checkout(dave.headers, 'card-variant-ok-key', 'pm_card_visa');
    expect(accepted.statusCode).toBe(202);
  });
});
