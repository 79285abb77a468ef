import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { businessMetricsProjection, businessNumbers } from '../../src/projections/business/index.ts';
import { applyBatch } from '../../src/subscriptions/index.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, orderState, stockProduct } from '../support/shop.ts';
import { projectionPassed, until } from './support.ts';

let position = 0;
const recorded = (streamId: string, type: string, data: unknown): RecordedEvent => {
  position += 1;
  return {
    eventId: uuidv7(),
    streamId,
    streamVersion: 1,
    globalPosition: position,
    type,
    schemaVersion: 1,
    data,
    metadata: {
      correlationId: 'c',
      causationId: null,
      actor: { id: 'spec', role: 'system' },
      occurredAt: '',
    },
    recordedAt: new Date().toISOString(),
    prevHash: '',
    hash: '',
    checkpoint: { transactionId: String(position), globalPosition: position },
  };
};

describe('the business metrics projection', () => {
  let database: TestDatabase;
  beforeAll(async () => (database = await freshPGlite()));
  afterAll(() => database.drop());

  it('counts a cart merged into another once, in the cart its items went to, in one batch or one event at a time', async () => {
    const line = { sku: 'M-1', quantity: 1 };
    const events = [
      recorded('cart-guest', 'CartItemAdded', {
        cartId: 'guest',
        sku: 'M-1',
        quantity: 1,
        quantityInCart: 1,
      }),
      recorded('cart-alice.1', 'CartItemAdded', {
        cartId: 'alice.1',
        sku: 'M-2',
        quantity: 1,
        quantityInCart: 1,
      }),
      recorded('cart-alice.1', 'CartMerged', {
        cartId: 'alice.1',
        fromCartId: 'guest',
        changed: [line],
        dropped: [],
      }),
      recorded('cart-alice.1', 'CartCheckedOut', {
        cartId: 'alice.1',
        orderId: 'o-1',
        items: [line],
        at: '',
      }),
      recorded('cart-bob.1', 'CartItemAdded', {
        cartId: 'bob.1',
        sku: 'M-1',
        quantity: 2,
        quantityInCart: 2,
      }),
      recorded('order-o-1', 'OrderPlaced', { orderId: 'o-1' }),
      recorded('order-o-1', 'OrderCancelled', { orderId: 'o-1', reason: 'x'.repeat(100) }),
    ];
    await applyBatch(database.db, businessMetricsProjection, events.slice(0, 3));
    for (const event of events.slice(3)) await applyBatch(database.db, businessMetricsProjection, [event]);
    expect(await businessNumbers(database.db)).toMatchObject({
      cartsWithItems: 2,
      cartsCheckedOut: 1,
      cartAbandonmentRate: 0.5,
      placed: 1,
      cancelled: 1,
      orderSuccessRate: 0,
      orders: expect.arrayContaining([{ outcome: 'cancelled', reason: 'x'.repeat(64), orders: 1 }]),
    });
  });
});

describe('the business metrics after the sale', () => {
  let database: TestDatabase;
  beforeAll(async () => (database = await freshPGlite()));
  afterAll(() => database.drop());

  it('measures the refund rate, the return rate and the time from confirmation to shipment', async () => {
    const hour = (n: number) => `2026-05-01T${String(n).padStart(2, '0')}:00:00.000Z`;
    const order = (orderId: string, type: string, data: object = {}) =>
      recorded(`order-${orderId}`, type, { orderId, ...data });
    const shipped = (orderId: string, at: string) =>
      order(orderId, 'OrderLinesShipped', {
        shipmentId: 's',
        lines: [],
        carrier: 'UPS',
        trackingNumber: 'T',
        at,
      });
    const events = [
      ...['a', 'b', 'c', 'd'].map((id) => order(id, 'OrderConfirmed', { at: hour(1) })),
      shipped('a', hour(3)), // 2 h
      shipped('a', hour(9)), // a second shipment does not move the first
      shipped('b', hour(5)), // 4 h
      order('b', 'ReturnRequested', { returnId: 'r', lines: [], reason: 'x', at: hour(6) }),
      order('c', 'RefundIssued', { refundId: 'f', amount: { amount: 1, currency: 'USD' }, at: hour(2) }),
      order('b', 'OrderRefunded', { amount: { amount: 1, currency: 'USD' }, reason: 'old', at: hour(7) }),
    ];
    await applyBatch(database.db, businessMetricsProjection, events.slice(0, 6));
    for (const event of events.slice(6)) await applyBatch(database.db, businessMetricsProjection, [event]);
    expect(await businessNumbers(database.db)).toMatchObject({
      confirmed: 4,
      refundRate: 2 / 4,
      returnRate: 1 / 2,
      secondsToShipment: 3 * 3600,
    });
  });
});

describe.each(['embedded', 'postgres'] as const)('business metrics of a known day (%s)', (profile) => {
  let t: TestApp;
  const written = new Set<string>();
  const expected = {
    placed: 4,
    confirmed: 2,
    cancelled: 2,
    orderSuccessRate: 0.5,
    cartsWithItems: 6,
    cartsCheckedOut: 4,
    cartAbandonmentRate: 2 / 6,
  };

  beforeAll(async () => {
    t = await testApp(profile);
    await stockProduct(t.platform, 'BM-1', 10);
    await stockProduct(t.platform, 'BM-EMPTY', 0);
    const orders = [
      await checkout(t.platform, 'bm-ann', [{ sku: 'BM-1', quantity: 1 }]),
      await checkout(t.platform, 'bm-ben', [{ sku: 'BM-1', quantity: 2 }]),
      await checkout(t.platform, 'bm-cy', [{ sku: 'BM-1', quantity: 1 }], 'pm_card_chargeDeclined'),
      await checkout(t.platform, 'bm-dee', [{ sku: 'BM-EMPTY', quantity: 1 }]),
    ];
    // Two carts filled and left.
    for (const cartId of ['bm-eve.1', 'bm-fay.1']) {
      await t.platform.commands.cart.handle(
        streams.cart(cartId),
        { type: 'AddItem', data: { cartId, sku: 'BM-1', quantity: 1 } },
        { actor: { id: cartId, role: 'customer' }, correlationId: uuidv7() },
      );
      written.add(streams.cart(cartId));
    }
    for (const orderId of orders) {
      await until(
        async () => ['confirmed', 'cancelled'].includes((await orderState(t.platform, orderId)).status),
        `order ${orderId} to end`,
      );
      written.add(streams.order(orderId));
    }
    await projectionPassed(t.platform.db, t.platform.store, 'business-metrics', written);
  });
  afterAll(() => t.close());

  it('counts orders by outcome and carts that reached checkout', async () => {
    const numbers = await businessNumbers(t.platform.db);
    expect(numbers).toMatchObject(expected);
    expect(numbers.orders).toEqual(
      expect.arrayContaining([
        { outcome: 'cancelled', reason: 'out_of_stock', orders: 1 },
        { outcome: 'cancelled', reason: 'payment_failed', orders: 1 },
      ]),
    );
  });

  it('exports them at /metrics, read from the table at scrape time', async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('business_orders{outcome="placed",reason=""}')).toBe(4);
    expect(value('business_orders{outcome="confirmed",reason=""}')).toBe(2);
    expect(value('business_orders{outcome="cancelled",reason="payment_failed"}')).toBe(1);
    expect(value('business_order_success_ratio')).toBe(0.5);
    expect(value('business_carts_with_items')).toBe(6);
    expect(value('business_cart_abandonment_ratio')).toBeCloseTo(2 / 6, 9);
    // Another process would read the same rows: a row changed behind this process shows at the next scrape.
    await t.platform.db.query(
      `UPDATE business_order_outcomes SET orders = orders + 10 WHERE outcome = 'placed'`,
    );
    const again = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(again).toMatch(/^business_orders\{outcome="placed",reason=""\} 14$/m);
    await t.platform.db.query(
      `UPDATE business_order_outcomes SET orders = orders - 10 WHERE outcome = 'placed'`,
    );
  });

  it('rebuilds to the same numbers', async () => {
    await t.platform.projections.rebuild('business-metrics');
    await projectionPassed(t.platform.db, t.platform.store, 'business-metrics', written);
    expect(await businessNumbers(t.platform.db)).toMatchObject(expected);
  });
});
