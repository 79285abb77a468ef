import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { orderDecider, type OrderCommand, type OrderState } from '../../src/domain/order/index.ts';

const orderId = 'order-1';
const at = '2025-11-28T09:00:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const legalTransitions = new Set([
  'not_placed->pending',
  'pending->confirmed',
  'pending->cancelled',
  'confirmed->partially_shipped',
  'confirmed->shipped',
  'partially_shipped->shipped',
  'confirmed->refunded',
  'partially_shipped->refunded',
  'shipped->refunded',
]);

const placeOrder = (mugs: number): OrderCommand => ({
  type: 'PlaceOrder',
  data: {
    orderId,
    customerId: 'customer-7',
    lines: [
      { sku: 'SKU-MUG', quantity: mugs, unitPrice: eur(1299) },
      { sku: 'SKU-TEA', quantity: 1, unitPrice: eur(450) },
    ],
    paymentMethod: 'pm_card_visa',
    placedAt: at,
  },
});

type Step = (state: OrderState) => OrderCommand;
const when = (weight: number, arbitrary: fc.Arbitrary<Step>) => ({ weight, arbitrary });
const always =
  (command: OrderCommand): Step =>
  () =>
    command;

/** What the checkout saga would do next: reserve the next line, then record the payment, then confirm. */
const sagaAdvances: Step = (state) => {
  if (state.status === 'not_placed') return placeOrder(2);
  const unreserved = state.lines.find((line) => !state.reservedSkus.includes(line.sku));
  if (unreserved !== undefined)
    return {
      type: 'RecordLineReserved',
      data: { orderId, sku: unreserved.sku, quantity: unreserved.quantity, at },
    };
  if (!state.paymentAuthorized)
    return { type: 'RecordPaymentAuthorized', data: { orderId, paymentId: 'pi_1', amount: state.total, at } };
  return { type: 'ConfirmOrder', data: { orderId, at } };
};

/**
 * The saga drives most steps, so runs reach every status; between its steps come wrong data,
 * shortfalls, failures, cancellations, early shipments and refunds, often enough to cut runs short.
 */
const step: fc.Arbitrary<Step> = fc.oneof(
  when(12, fc.constant(sagaAdvances)),
  when(1, fc.constantFrom(always(placeOrder(2)), always(placeOrder(1)))),
  when(
    1,
    fc
      .record({ sku: fc.constantFrom('SKU-MUG', 'SKU-TEA', 'SKU-KETTLE'), quantity: fc.constantFrom(1, 2) })
      .map(({ sku, quantity }) =>
        always({ type: 'RecordLineReserved', data: { orderId, sku, quantity, at } }),
      ),
  ),
  when(
    1,
    fc
      .constantFrom('SKU-MUG', 'SKU-TEA')
      .map((sku) =>
        always({ type: 'RejectForStock', data: { orderId, sku, requested: 2, available: 0, at } }),
      ),
  ),
  when(
    1,
    fc
      .record({ paymentId: fc.constantFrom('pi_1', 'pi_2'), amount: fc.constantFrom(3048, 1) })
      .map(({ paymentId, amount }) =>
        always({ type: 'RecordPaymentAuthorized', data: { orderId, paymentId, amount: eur(amount), at } }),
      ),
  ),
  when(
    1,
    fc.constant(always({ type: 'RecordPaymentFailed', data: { orderId, reason: 'card_declined', at } })),
  ),
  when(2, fc.constant(always({ type: 'ConfirmOrder', data: { orderId, at } }))),
  when(1, fc.constant(always({ type: 'CancelOrder', data: { orderId, reason: 'customer_request', at } }))),
  when(
    2,
    fc.constantFrom('SKU-MUG', 'SKU-TEA').map((sku) =>
      always({
        type: 'ShipOrderLines',
        data: {
          orderId,
          shipmentId: `shipment-${sku}`,
          lines: [{ sku, quantity: sku === 'SKU-MUG' ? 2 : 1 }],
          carrier: 'DHL',
          trackingNumber: `T-${sku}`,
          at,
        },
      }),
    ),
  ),
  when(
    1,
    fc.constant(
      always({
        type: 'RequestRefund',
        data: { orderId, refundId: 'refund-1', amount: eur(3048), reason: 'returned', at },
      }),
    ),
  ),
  when(1, fc.constant(always({ type: 'RecordRefundIssued', data: { orderId, refundId: 'refund-1', at } }))),
);

const run = fc.array(step, { maxLength: 30, size: 'max' });

describe('order properties, for any sequence of commands', () => {
  it('moves only along legal status transitions, keeps the total fixed, and confirms only reserved, paid orders', () => {
    fc.assert(
      fc.property(run, (steps) => {
        let state: OrderState = orderDecider.initialState();
        let placedTotal: unknown;
        for (const next of steps) {
          const result = orderDecider.decide(next(state), state);
          if (!isRight(result)) continue;
          for (const event of result.right) {
            const before = state;
            state = orderDecider.evolve(state, event);
            if (before.status !== state.status)
              expect(legalTransitions.has(`${before.status}->${state.status}`)).toBe(true);
            if (state.status === 'not_placed') continue;
            placedTotal ??= state.total;
            expect(state.total).toEqual(placedTotal);
            if (event.type === 'OrderConfirmed' && before.status !== 'not_placed') {
              expect(before.paymentAuthorized).toBe(true);
              expect(before.stockRejection).toBeNull();
              expect([...before.reservedSkus].sort()).toEqual(before.lines.map((l) => l.sku).sort());
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
