import fc from 'fast-check';
import { isRight, type Either } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Decider, DomainCommand, DomainError, DomainEvent } from '../../src/domain/decider.ts';
import {
  inventoryDecider,
  type InventoryCommand,
  type InventoryState,
} from '../../src/domain/inventory/index.ts';
import {
  claimedUnits,
  deliveredUnits,
  orderDecider,
  orderedUnits,
  pendingCancellationStock,
  pendingRestocks,
  promisedRefunds,
  returnedUnits,
  shippedUnits,
  type OrderCommand,
  type OrderState,
  type PlacedOrder,
} from '../../src/domain/order/index.ts';
import { paymentDecider, type PaymentCommand, type PaymentState } from '../../src/domain/payment/index.ts';

// The life of one paid order after the sale, as any sequence of admin, customer and refund-process
// steps, through the three deciders whose streams it touches (order, payment, inventory). Whatever
// the sequence: refunded <= captured, shipped <= ordered, returned <= delivered, and every unit
// received into stock is on hand, held for the order, with the customer or written off.

const orderId = 'order-prop';
const SKUS = ['MUG', 'TEA'] as const;
const RECEIVED = 10;
const ORDERED = { MUG: 3, TEA: 2 } as const;
const PRICE = { MUG: 1299, TEA: 450 } as const;
const TOTAL = ORDERED.MUG * PRICE.MUG + ORDERED.TEA * PRICE.TEA;
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const dayAt = (n: number) => new Date(Date.UTC(2026, 2, 1) + n * 86_400_000).toISOString();

type World = {
  order: OrderState;
  payment: PaymentState;
  inventory: Record<string, InventoryState>;
  day: number;
};

function run<C extends DomainCommand, E extends DomainEvent, S, Err extends DomainError>(
  decider: Decider<C, E, S, Err>,
  state: S,
  command: C,
): { state: S; ok: boolean } {
  const result: Either<Err, readonly E[]> = decider.decide(command, state);
  if (!isRight(result)) return { state, ok: false };
  return { state: result.right.reduce(decider.evolve, state), ok: true };
}

const order = (w: World, command: OrderCommand) => {
  const next = run(orderDecider, w.order, command);
  w.order = next.state;
  return next.ok;
};
const payment = (w: World, command: PaymentCommand) => {
  const next = run(paymentDecider, w.payment, command);
  w.payment = next.state;
  return next.ok;
};
const inventory = (w: World, sku: string, command: InventoryCommand) => {
  const next = run(inventoryDecider, w.inventory[sku]!, command);
  w.inventory[sku] = next.state;
  return next.ok;
};
const placedOrder = (w: World) => w.order as PlacedOrder;

/** A confirmed, captured order: its stock committed, as checkout leaves it. */
function paidOrder(): World {
  const at = dayAt(0);
  const w: World = {
    order: orderDecider.initialState(),
    payment: paymentDecider.initialState(),
    inventory: {},
    day: 0,
  };
  for (const sku of SKUS) {
    w.inventory[sku] = inventoryDecider.initialState();
    inventory(w, sku, { type: 'ReceiveStock', data: { sku, quantity: RECEIVED } });
    inventory(w, sku, {
      type: 'ReserveStock',
      data: { sku, reservationId: orderId, quantity: ORDERED[sku], expiresAt: dayAt(1), now: at },
    });
    inventory(w, sku, { type: 'CommitReservation', data: { reservationId: orderId, now: at } });
  }
  const lines = SKUS.map((sku) => ({ sku, quantity: ORDERED[sku], unitPrice: eur(PRICE[sku]) }));
  order(w, {
    type: 'PlaceOrder',
    data: { orderId, customerId: 'c', lines, paymentMethod: 'pm_card_visa', placedAt: at },
  });
  for (const sku of SKUS)
    order(w, { type: 'RecordLineReserved', data: { orderId, sku, quantity: ORDERED[sku], at } });
  order(w, { type: 'RecordPaymentAuthorized', data: { orderId, paymentId: 'pi_1', amount: eur(TOTAL), at } });
  order(w, { type: 'ConfirmOrder', data: { orderId, at } });
  const request = {
    orderId,
    amount: eur(TOTAL),
    paymentMethod: 'pm_card_visa',
    idempotencyKey: 'k',
    attempt: 1,
    at,
  };
  payment(w, { type: 'RequestPayment', data: request });
  payment(w, { type: 'RecordAuthorization', data: { orderId, gatewayRef: 'pi_1', amount: eur(TOTAL), at } });
  payment(w, { type: 'RecordCapture', data: { orderId, at } });
  return w;
}

/** What the refund process does for the order, in its order: stock back, then money, each recorded. */
function refundProcessStep(w: World, gatewayFails: boolean) {
  const at = dayAt(w.day);
  const current = placedOrder(w);
  for (const line of pendingCancellationStock(current)) {
    inventory(w, line.sku, {
      type: 'ReturnReservation',
      data: { reservationId: orderId, reason: 'cancelled', now: at },
    });
    order(w, {
      type: 'RecordStockReturned',
      data: { orderId, sku: line.sku, quantity: line.quantity, returnId: null, at },
    });
  }
  for (const restock of pendingRestocks(placedOrder(w))) {
    inventory(w, restock.sku, {
      type: 'AdjustStock',
      data: { sku: restock.sku, delta: restock.quantity, reason: `return ${restock.returnId}` },
    });
    order(w, { type: 'RecordStockReturned', data: { orderId, ...restock, at } });
  }
  for (const refund of placedOrder(w).refunds.filter(
    (r) => r.status === 'requested' || r.status === 'failed',
  )) {
    if (gatewayFails) {
      order(w, {
        type: 'RecordRefundFailed',
        data: { orderId, refundId: refund.refundId, reason: 'gateway_timeout', retryable: true, at },
      });
      continue;
    }
    const recorded = payment(w, {
      type: 'RecordRefund',
      data: { orderId, amount: refund.amount, refundId: refund.refundId, at },
    });
    if (recorded) order(w, { type: 'RecordRefundIssued', data: { orderId, refundId: refund.refundId, at } });
    else
      order(w, {
        type: 'RecordRefundFailed',
        data: { orderId, refundId: refund.refundId, reason: 'refused', retryable: false, at },
      });
  }
}

type Step = (w: World) => void;

const sku = fc.constantFrom(...SKUS);
const few = fc.integer({ min: 1, max: 3 });
const id = (prefix: string) => fc.integer({ min: 1, max: 3 }).map((n) => `${prefix}-${n}`);

/** What an operator or a customer would sensibly do next, so that runs reach deliveries, returns and receipts. */
const lifeGoesOn = fc
  .record({ restock: fc.boolean(), pick: fc.nat() })
  .map(({ restock, pick }): Step => (w) => {
    const o = placedOrder(w);
    const at = dayAt(w.day);
    const unshipped = SKUS.find((s) => shippedUnits(o, s) < orderedUnits(o, s));
    const undelivered = o.shipments.find((s) => s.deliveredAt === null);
    const asked = o.returns.find((r) => r.status === 'requested');
    const returnable = SKUS.find((s) => deliveredUnits(o, s) > claimedUnits(o, s));
    const choices: (() => void)[] = [];
    if (unshipped)
      choices.push(() =>
        order(w, {
          type: 'ShipOrderLines',
          data: {
            orderId,
            shipmentId: `auto-${o.shipments.length}`,
            lines: [{ sku: unshipped, quantity: orderedUnits(o, unshipped) - shippedUnits(o, unshipped) }],
            carrier: 'UPS',
            trackingNumber: `1Z${o.shipments.length}`,
            at,
          },
        }),
      );
    if (undelivered)
      choices.push(() =>
        order(w, {
          type: 'MarkShipmentDelivered',
          data: { orderId, shipmentId: undelivered.shipmentId, at },
        }),
      );
    if (returnable)
      choices.push(() =>
        order(w, {
          type: 'RequestReturn',
          data: {
            orderId,
            returnId: `auto-ret-${o.returns.length}`,
            lines: [{ sku: returnable, quantity: 1 }],
            reason: 'broken',
            at,
            windowDays: 30,
          },
        }),
      );
    if (asked)
      choices.push(() =>
        order(w, {
          type: 'ReceiveReturn',
          data: {
            orderId,
            returnId: asked.returnId,
            lines: asked.lines.map((l) => ({ ...l, restock })),
            refundId: `${asked.returnId}-refund`,
            at,
          },
        }),
      );
    if (choices.length > 0) choices[pick % choices.length]!();
  });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: lifeGoesOn },
  fc.record({ shipmentId: id('s'), sku, quantity: few }).map(({ shipmentId, sku, quantity }): Step => (w) => {
    order(w, {
      type: 'ShipOrderLines',
      data: {
        orderId,
        shipmentId,
        lines: [{ sku, quantity }],
        carrier: 'DHL',
        trackingNumber: shipmentId,
        at: dayAt(w.day),
      },
    });
  }),
  id('s').map((shipmentId): Step => (w) => {
    order(w, { type: 'MarkShipmentDelivered', data: { orderId, shipmentId, at: dayAt(w.day) } });
  }),
  fc.integer({ min: 1, max: 10 }).map((days): Step => (w) => {
    w.day += days;
  }),
  fc.record({ returnId: id('ret'), sku, quantity: few }).map(({ returnId, sku, quantity }): Step => (w) => {
    order(w, {
      type: 'RequestReturn',
      data: {
        orderId,
        returnId,
        lines: [{ sku, quantity }],
        reason: 'changed mind',
        at: dayAt(w.day),
        windowDays: 30,
      },
    });
  }),
  fc
    .record({ returnId: id('ret'), quantity: fc.integer({ min: 1, max: 3 }), restock: fc.boolean() })
    .map(({ returnId, quantity, restock }): Step => (w) => {
      const asked = placedOrder(w).returns.find((r) => r.returnId === returnId);
      const lines = (asked?.lines ?? [{ sku: 'MUG', quantity }]).map((line) => ({
        sku: line.sku,
        quantity: Math.min(line.quantity, quantity),
        restock,
      }));
      order(w, {
        type: 'ReceiveReturn',
        data: { orderId, returnId, lines, refundId: `${returnId}-refund`, at: dayAt(w.day) },
      });
    }),
  fc
    .record({ refundId: id('r'), amount: fc.integer({ min: 1, max: TOTAL + 100 }) })
    .map(({ refundId, amount }): Step => (w) => {
      order(w, {
        type: 'RequestRefund',
        data: { orderId, refundId, amount: eur(amount), reason: 'goodwill', at: dayAt(w.day) },
      });
    }),
  fc.constant<Step>((w) => {
    if (w.day % 3 !== 0) return; // now and then: a cancellation ends the order's story
    order(w, {
      type: 'CancelConfirmedOrder',
      data: { orderId, reason: 'admin', refundId: 'cancel', at: dayAt(w.day) },
    });
  }),
  fc.boolean().map(
    (gatewayFails): Step =>
      (w) =>
        refundProcessStep(w, gatewayFails),
  ),
);

function checkInvariants(w: World) {
  const o = placedOrder(w);
  if (w.payment.status === 'not_requested') throw new Error('the order was paid');
  // refunded <= captured, on both streams, and nothing promised beyond what was paid.
  expect(w.payment.refundedAmount).toBeLessThanOrEqual(w.payment.amount.amount);
  expect(o.refunded).toBeLessThanOrEqual(TOTAL);
  expect(o.refunded).toBe(w.payment.refundedAmount);
  expect(promisedRefunds(o)).toBeLessThanOrEqual(TOTAL);
  for (const s of SKUS) {
    const shipped = shippedUnits(o, s);
    // shipped <= ordered; returned <= delivered (asked back too).
    expect(shipped).toBeLessThanOrEqual(orderedUnits(o, s));
    expect(returnedUnits(o, s)).toBeLessThanOrEqual(deliveredUnits(o, s));
    expect(claimedUnits(o, s)).toBeLessThanOrEqual(deliveredUnits(o, s));
    // Every unit received is on hand, held for the order, with the customer, written off, or on its way back on hand.
    const stock = w.inventory[s]!;
    const held =
      o.cancelledAfterPayment && o.stockReturnedSkus.includes(s) ? 0 : orderedUnits(o, s) - shipped;
    const receivedBack = o.returns.flatMap((r) => r.received).filter((l) => l.sku === s);
    const writtenOff = receivedBack.filter((l) => !l.restock).reduce((n, l) => n + l.quantity, 0);
    const toRestock = pendingRestocks(o)
      .filter((l) => l.sku === s)
      .reduce((n, l) => n + l.quantity, 0);
    const withCustomer = shipped - receivedBack.reduce((n, l) => n + l.quantity, 0);
    expect({
      sku: s,
      units: stock.onHand + held + withCustomer + writtenOff + toRestock,
      reserved: stock.reserved,
    }).toEqual({
      sku: s,
      units: RECEIVED,
      reserved: 0,
    });
    expect(withCustomer).toBeGreaterThanOrEqual(0);
  }
}

describe('after the sale, for any sequence of shipments, deliveries, returns, receipts, refunds and cancellations', () => {
  it('never refunds more than was captured, ships more than was ordered, takes back more than was delivered, or loses a unit', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        const w = paidOrder();
        for (const next of steps) {
          next(w);
          checkInvariants(w);
        }
        // Once the refund process has caught up, the two streams agree on every refund.
        refundProcessStep(w, false);
        checkInvariants(w);
        const o = placedOrder(w);
        expect(o.refunds.filter((r) => r.status === 'requested' || r.status === 'failed')).toEqual([]);
        expect(pendingRestocks(o)).toEqual([]);
        expect(pendingCancellationStock(o)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('moves the status only along legal transitions', () => {
    const legal = new Set([
      'confirmed->partially_shipped',
      'confirmed->shipped',
      'confirmed->cancelled',
      'confirmed->refunded',
      'partially_shipped->shipped',
      'partially_shipped->refunded',
      'shipped->delivered',
      'shipped->refunded',
      'delivered->refunded',
    ]);
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        const w = paidOrder();
        for (const next of steps) {
          const before = placedOrder(w).status;
          next(w);
          const after = placedOrder(w).status;
          if (before !== after) expect(legal, `${before}->${after}`).toContain(`${before}->${after}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
