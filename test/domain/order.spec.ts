import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import {
  orderDecider,
  type OrderCommand,
  type OrderEvent,
  type PlaceOrder,
} from '../../src/domain/order/index.ts';
import { specification } from './specification.ts';

const given = specification(orderDecider);

const orderId = 'order-0193a1b2';
const placedAt = '2025-11-28T09:00:00.000Z';
const at = '2025-11-28T09:00:05.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const placeOrder = (overrides: Partial<PlaceOrder['data']> = {}): OrderCommand => ({
  type: 'PlaceOrder',
  data: {
    orderId,
    customerId: 'customer-7',
    // Given out of SKU order on purpose: the order stores them sorted.
    lines: [
      { sku: 'SKU-TEA', quantity: 1, unitPrice: eur(450) },
      { sku: 'SKU-MUG', quantity: 2, unitPrice: eur(1299) },
    ],
    paymentMethod: 'pm_card_visa',
    placedAt,
    ...overrides,
  },
});

const orderPlaced: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'customer-7',
    lines: [
      { sku: 'SKU-MUG', quantity: 2, unitPrice: eur(1299), lineTotal: eur(2598) },
      { sku: 'SKU-TEA', quantity: 1, unitPrice: eur(450), lineTotal: eur(450) },
    ],
    total: eur(3048),
    paymentMethod: 'pm_card_visa',
    placedAt,
  },
};
const lineReserved = (sku: string, quantity: number): OrderEvent => ({
  type: 'OrderLineReserved',
  data: { orderId, sku, quantity, at },
});
const allReserved = [lineReserved('SKU-MUG', 2), lineReserved('SKU-TEA', 1)];
const stockRejected: OrderEvent = {
  type: 'OrderStockRejected',
  data: { orderId, sku: 'SKU-TEA', requested: 1, available: 0, at },
};
const paymentAuthorized: OrderEvent = {
  type: 'OrderPaymentAuthorized',
  data: { orderId, paymentId: 'pi_123', amount: eur(3048), at },
};
const paymentFailed: OrderEvent = {
  type: 'OrderPaymentFailed',
  data: { orderId, reason: 'card_declined', at },
};
const confirmed: OrderEvent = { type: 'OrderConfirmed', data: { orderId, at } };
const cancelled = (reason: string): OrderEvent => ({ type: 'OrderCancelled', data: { orderId, reason, at } });
const shipped: OrderEvent = { type: 'OrderShipped', data: { orderId, at } };
const refunded: OrderEvent = {
  type: 'OrderRefunded',
  data: { orderId, amount: eur(3048), reason: 'returned', at },
};

const recordLineReserved = (sku: string, quantity: number): OrderCommand => ({
  type: 'RecordLineReserved',
  data: { orderId, sku, quantity, at },
});
const rejectForStock = (sku = 'SKU-TEA', requested = 1, available = 0): OrderCommand => ({
  type: 'RejectForStock',
  data: { orderId, sku, requested, available, at },
});
const recordPaymentAuthorized = (paymentId = 'pi_123', amount = eur(3048)): OrderCommand => ({
  type: 'RecordPaymentAuthorized',
  data: { orderId, paymentId, amount, at },
});
const recordPaymentFailed = (reason = 'card_declined'): OrderCommand => ({
  type: 'RecordPaymentFailed',
  data: { orderId, reason, at },
});
const confirm: OrderCommand = { type: 'ConfirmOrder', data: { orderId, at } };
const cancel = (reason: string): OrderCommand => ({ type: 'CancelOrder', data: { orderId, reason, at } });

const readyToConfirm = [orderPlaced, ...allReserved, paymentAuthorized];

describe('order: placing', () => {
  it('prices the lines, sorts them by SKU and fixes the total', () =>
    given([]).when(placeOrder()).then([orderPlaced]));

  it('prices a free line at zero', () =>
    given([])
      .when(placeOrder({ lines: [{ sku: 'SKU-SAMPLE', quantity: 3, unitPrice: eur(0) }] }))
      .then([
        {
          type: 'OrderPlaced',
          data: {
            ...orderPlaced.data,
            lines: [{ sku: 'SKU-SAMPLE', quantity: 3, unitPrice: eur(0), lineTotal: eur(0) }],
            total: eur(0),
          },
        } as OrderEvent,
      ]));

  it('is idempotent: placing the same order again changes nothing, even stamped at another time', () =>
    given([orderPlaced])
      .when(placeOrder({ placedAt: '2025-11-28T09:00:02.000Z' }))
      .thenNothingHappens());

  it('is idempotent whatever order the lines come in', () =>
    given([orderPlaced])
      .when(
        placeOrder({
          lines: [
            { sku: 'SKU-MUG', quantity: 2, unitPrice: eur(1299) },
            { sku: 'SKU-TEA', quantity: 1, unitPrice: eur(450) },
          ],
        }),
      )
      .thenNothingHappens());

  it('refuses placing an existing order with other lines', () =>
    given([orderPlaced])
      .when(placeOrder({ lines: [{ sku: 'SKU-MUG', quantity: 3, unitPrice: eur(1299) }] }))
      .thenFails('OrderAlreadyPlaced'));

  it('refuses placing an existing order for another customer', () =>
    given([orderPlaced])
      .when(placeOrder({ customerId: 'customer-8' }))
      .thenFails('OrderAlreadyPlaced'));

  it('refuses an order without lines', () =>
    given([])
      .when(placeOrder({ lines: [] }))
      .thenFails('EmptyOrder'));

  it('refuses two lines for one SKU', () =>
    given([])
      .when(
        placeOrder({
          lines: [
            { sku: 'SKU-MUG', quantity: 1, unitPrice: eur(1299) },
            { sku: 'SKU-MUG', quantity: 1, unitPrice: eur(1299) },
          ],
        }),
      )
      .thenFails('DuplicateOrderLine'));

  it('refuses lines in two currencies', () =>
    given([])
      .when(
        placeOrder({
          lines: [
            { sku: 'SKU-MUG', quantity: 1, unitPrice: eur(1299) },
            { sku: 'SKU-TEA', quantity: 1, unitPrice: { amount: 450, currency: 'USD' } },
          ],
        }),
      )
      .thenFails('CurrencyMismatch'));

  it('refuses zero, negative and fractional quantities', () => {
    for (const quantity of [0, -1, 0.5])
      given([])
        .when(placeOrder({ lines: [{ sku: 'SKU-MUG', quantity, unitPrice: eur(1299) }] }))
        .thenFails('InvalidCommandData');
  });

  it('refuses a fractional or negative price and a malformed currency', () => {
    for (const unitPrice of [
      eur(12.99),
      eur(-1),
      { amount: 100, currency: 'eur' },
      { amount: 100, currency: 'EURO' },
    ])
      given([])
        .when(placeOrder({ lines: [{ sku: 'SKU-MUG', quantity: 1, unitPrice }] }))
        .thenFails('InvalidCommandData');
  });

  it('refuses a total too large to count exactly', () =>
    given([])
      .when(
        placeOrder({ lines: [{ sku: 'SKU-GOLD', quantity: 1000, unitPrice: eur(Number.MAX_SAFE_INTEGER) }] }),
      )
      .thenFails('TotalTooLarge'));

  it('refuses card data as the payment method, without echoing it back', () => {
    for (const paymentMethod of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '4000-0566-5566-5556',
      '4242.4242.4242.4242',
      '4242/4242/4242/4242',
      '４２４２４２４２４２４２４２４２',
    ])
      given([]).when(placeOrder({ paymentMethod })).thenFails('CardDataNotAllowed');
    const result = orderDecider.decide(
      placeOrder({ paymentMethod: '4242424242424242' }),
      orderDecider.initialState(),
    );
    expect(JSON.stringify(result)).not.toContain('4242424242424242');
  });

  it('refuses a missing customer and a malformed placement time', () => {
    given([])
      .when(placeOrder({ customerId: '' }))
      .thenFails('InvalidCommandData');
    given([])
      .when(placeOrder({ placedAt: '28/11/2025' }))
      .thenFails('InvalidCommandData');
  });

  it('refuses a command for another order than the stream holds', () =>
    given([orderPlaced])
      .when(placeOrder({ orderId: 'order-other' }))
      .thenFails('OrderIdMismatch'));
});

describe('order: checkout progress', () => {
  it('records a reserved line', () =>
    given([orderPlaced])
      .when(recordLineReserved('SKU-MUG', 2))
      .then([lineReserved('SKU-MUG', 2)]));

  it('is idempotent per SKU', () =>
    given([orderPlaced, lineReserved('SKU-MUG', 2)])
      .when(recordLineReserved('SKU-MUG', 2))
      .thenNothingHappens());

  it('refuses a line the order does not have', () =>
    given([orderPlaced]).when(recordLineReserved('SKU-KETTLE', 1)).thenFails('UnknownOrderLine'));

  it('refuses a reserved quantity other than ordered', () =>
    given([orderPlaced]).when(recordLineReserved('SKU-MUG', 1)).thenFails('LineQuantityMismatch'));

  it('refuses to record progress on an order never placed', () =>
    given([]).when(recordLineReserved('SKU-MUG', 2)).thenFails('OrderNotFound'));

  it('refuses to record a reservation on a cancelled order', () =>
    given([orderPlaced, cancelled('out_of_stock')])
      .when(recordLineReserved('SKU-MUG', 2))
      .thenFails('OrderNotPending'));

  it('records a stock shortfall', () => given([orderPlaced]).when(rejectForStock()).then([stockRejected]));

  it('records the first shortfall only', () =>
    given([orderPlaced, stockRejected])
      .when(rejectForStock('SKU-MUG', 2, 1))
      .thenNothingHappens());

  it('refuses a shortfall that is not one', () =>
    given([orderPlaced])
      .when(rejectForStock('SKU-TEA', 1, 1))
      .thenFails('InvalidCommandData'));

  it('refuses a shortfall for a line the order does not have', () =>
    given([orderPlaced])
      .when(rejectForStock('SKU-KETTLE', 1, 0))
      .thenFails('UnknownOrderLine'));

  it('records an authorized payment of the order total', () =>
    given([orderPlaced]).when(recordPaymentAuthorized()).then([paymentAuthorized]));

  it('is idempotent for the same payment', () =>
    given([orderPlaced, paymentAuthorized]).when(recordPaymentAuthorized()).thenNothingHappens());

  it('refuses a second, different payment', () =>
    given([orderPlaced, paymentAuthorized])
      .when(recordPaymentAuthorized('pi_456'))
      .thenFails('PaymentAlreadyAuthorized'));

  it('refuses a payment of another amount than the total', () =>
    given([orderPlaced])
      .when(recordPaymentAuthorized('pi_123', eur(3000)))
      .thenFails('PaymentAmountMismatch'));

  it('refuses to record a payment on a cancelled order', () =>
    given([orderPlaced, cancelled('expired')])
      .when(recordPaymentAuthorized())
      .thenFails('OrderNotPending'));

  it('records a failed payment', () =>
    given([orderPlaced]).when(recordPaymentFailed()).then([paymentFailed]));

  it('is idempotent for the same failure', () =>
    given([orderPlaced, paymentFailed]).when(recordPaymentFailed()).thenNothingHappens());

  it('refuses a failure after the payment was authorized', () =>
    given([orderPlaced, paymentAuthorized])
      .when(recordPaymentFailed())
      .thenFails('PaymentAlreadyAuthorized'));

  it('refuses a failure without a reason', () =>
    given([orderPlaced]).when(recordPaymentFailed('')).thenFails('InvalidCommandData'));
});

describe('order: confirming', () => {
  it('confirms a fully reserved, paid order', () => given(readyToConfirm).when(confirm).then([confirmed]));

  it('is idempotent: confirming a confirmed order changes nothing', () =>
    given([...readyToConfirm, confirmed])
      .when(confirm)
      .thenNothingHappens());

  it('refuses while a line still waits for stock', () =>
    given([orderPlaced, lineReserved('SKU-MUG', 2), paymentAuthorized])
      .when(confirm)
      .thenFails('LinesNotReserved'));

  it('refuses before payment is authorized', () =>
    given([orderPlaced, ...allReserved])
      .when(confirm)
      .thenFails('PaymentNotAuthorized'));

  it('refuses an order short of stock', () =>
    given([orderPlaced, stockRejected, paymentAuthorized]).when(confirm).thenFails('StockRejected'));

  it('refuses a cancelled order', () =>
    given([...readyToConfirm, cancelled('customer_request')])
      .when(confirm)
      .thenFails('OrderNotPending'));

  it('refuses an order never placed', () => given([]).when(confirm).thenFails('OrderNotFound'));
});

describe('order: cancelling', () => {
  it('cancels a pending order with its reason', () =>
    given([orderPlaced, stockRejected])
      .when(cancel('out_of_stock'))
      .then([cancelled('out_of_stock')]));

  it('is idempotent: cancelling a cancelled order changes nothing', () =>
    given([orderPlaced, cancelled('out_of_stock')])
      .when(cancel('payment_failed'))
      .thenNothingHappens());

  it('refuses to cancel a confirmed order', () =>
    given([...readyToConfirm, confirmed])
      .when(cancel('customer_request'))
      .thenFails('OrderNotPending'));

  it('refuses to cancel a shipped order', () =>
    given([...readyToConfirm, confirmed, shipped])
      .when(cancel('customer_request'))
      .thenFails('OrderNotPending'));

  it('refuses a cancellation without a reason', () =>
    given([orderPlaced]).when(cancel(' ')).thenFails('InvalidCommandData'));
});

describe('order: events written before partial fulfilment stay readable', () => {
  const shipLines: OrderCommand = {
    type: 'ShipOrderLines',
    data: {
      orderId,
      shipmentId: 'shipment-2',
      lines: [{ sku: 'SKU-TEA', quantity: 1 }],
      carrier: 'DHL',
      trackingNumber: 'JD0001',
      at,
    },
  };

  it('reads a whole-order OrderShipped as one shipment of every line', () => {
    const order = fold(orderDecider, [...readyToConfirm, confirmed, shipped]);
    expect(order).toMatchObject({
      status: 'shipped',
      shipments: [
        {
          shipmentId: orderId,
          lines: [
            { sku: 'SKU-MUG', quantity: 2 },
            { sku: 'SKU-TEA', quantity: 1 },
          ],
          carrier: null,
          trackingNumber: null,
          shippedAt: at,
          deliveredAt: null,
        },
      ],
    });
  });

  it('ships nothing more after a whole-order OrderShipped', () =>
    given([...readyToConfirm, confirmed, shipped])
      .when(shipLines)
      .thenFails('OrderNotShippable'));

  it('reads an OrderRefunded of the whole total as a refund issued, the order refunded', () => {
    for (const history of [
      [...readyToConfirm, confirmed, refunded],
      [...readyToConfirm, confirmed, shipped, refunded],
    ])
      expect(fold(orderDecider, history)).toMatchObject({
        status: 'refunded',
        refunded: 3048,
        refunds: [{ amount: eur(3048), status: 'issued', reason: 'returned' }],
      });
  });

  it('refuses to ship or refund again an order refunded as a whole', () => {
    given([...readyToConfirm, confirmed, refunded])
      .when(shipLines)
      .thenFails('OrderNotShippable');
    given([...readyToConfirm, confirmed, shipped, refunded])
      .when({
        type: 'RequestRefund',
        data: { orderId, refundId: 'refund-9', amount: eur(1), reason: 'goodwill', at },
      })
      .thenFails('OrderNotRefundable');
  });
});

describe('order: state for the checkout saga', () => {
  it('shows where checkout is', () => {
    const state = fold(orderDecider, [
      orderPlaced,
      lineReserved('SKU-TEA', 1),
      lineReserved('SKU-MUG', 2),
      paymentAuthorized,
    ]);
    expect(state).toMatchObject({
      status: 'pending',
      total: eur(3048),
      reservedSkus: ['SKU-MUG', 'SKU-TEA'],
      paymentAuthorized: true,
      paymentId: 'pi_123',
      cancellationReason: null,
      placedAt,
      updatedAt: at,
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('keeps the cancellation reason', () =>
    expect(fold(orderDecider, [orderPlaced, cancelled('out_of_stock')])).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'out_of_stock',
    }));
});
