import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/decider.ts';
import { orderDecider, type OrderCommand, type OrderEvent } from '../../src/domain/order/index.ts';
import { specification } from '../domain/specification.ts';

// The order's side of the fraud rules: the saga records their decision before any reservation, an
// admin decides on an order held for review. Given these events, when this command, then these events.

const given = specification(orderDecider);

const orderId = 'order-fraud-1';
const placedAt = '2026-03-01T10:00:00.000Z';
const at = '2026-03-01T10:00:01.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'customer-1',
    lines: [{ sku: 'SKU-A', quantity: 1, unitPrice: usd(500), lineTotal: usd(500) }],
    total: usd(500),
    paymentMethod: 'pm_card_visa',
    placedAt,
    clientKey: 'k3yed-hash-of-an-address',
  },
};
const measures = { declinesLast10Minutes: 3, ordersLastHour: 0 };

const screen = (
  decision: 'allow' | 'review' | 'block',
  rule: string | null,
  enforced = true,
): OrderCommand => ({
  type: 'ScreenOrder',
  data: { orderId, decision, rule, enforced, measures, at },
});
const screened = (
  decision: 'allow' | 'review' | 'block',
  rule: string | null,
  enforced = true,
): OrderEvent => ({
  type: 'OrderScreened',
  data: { orderId, decision, rule, enforced, measures, at },
});
const review = (decision: 'approve' | 'reject'): OrderCommand => ({
  type: 'ReviewOrder',
  data: { orderId, decision, at },
});
const reviewed = (decision: 'approve' | 'reject'): OrderEvent => ({
  type: 'OrderReviewed',
  data: { orderId, decision, at },
});
const cancelled = (reason: string): OrderEvent => ({ type: 'OrderCancelled', data: { orderId, reason, at } });
const lineReserved: OrderEvent = {
  type: 'OrderLineReserved',
  data: { orderId, sku: 'SKU-A', quantity: 1, at },
};

const statusAfter = (...events: OrderEvent[]) => fold(orderDecider, events).status;

describe('the fraud rules decide on a placed order before any stock is reserved', () => {
  it('records an allow, and the order stays pending', () => {
    given([placed])
      .when(screen('allow', null))
      .then([screened('allow', null)]);
    expect(statusAfter(placed, screened('allow', null))).toBe('pending');
  });

  it('holds the order for review', () => {
    given([placed])
      .when(screen('review', 'orders_per_customer'))
      .then([screened('review', 'orders_per_customer')]);
    expect(statusAfter(placed, screened('review', 'orders_per_customer'))).toBe('review');
  });

  it('refuses the order: the decision and its cancellation for fraud_suspected in one append', () => {
    given([placed])
      .when(screen('block', 'declines_per_customer'))
      .then([screened('block', 'declines_per_customer'), cancelled('fraud_suspected')]);
  });

  it('in shadow mode records what the rules would do and acts as if they allowed it', () => {
    given([placed])
      .when(screen('block', 'declines_per_customer', false))
      .then([screened('block', 'declines_per_customer', false)]);
    expect(statusAfter(placed, screened('review', 'orders_per_customer', false))).toBe('pending');
  });

  it('records the decision once: the same again is a no-op, another one is refused', () => {
    given([placed, screened('allow', null)])
      .when(screen('allow', null))
      .thenNothingHappens();
    given([placed, screened('allow', null)])
      .when(screen('review', 'orders_per_customer'))
      .thenFails('OrderAlreadyScreened');
  });

  it('comes before the reservations: an order holding stock is not screened', () => {
    given([placed, lineReserved]).when(screen('allow', null)).thenFails('ScreenedTooLate');
  });

  it('leaves a cancelled order alone', () => {
    given([placed, cancelled('cancelled_by_customer')])
      .when(screen('allow', null))
      .thenFails('OrderNotPending');
  });

  it('names a rule for a review or a block, and none for an allow', () => {
    given([placed]).when(screen('block', null)).thenFails('InvalidCommandData');
    given([placed]).when(screen('allow', 'declines_per_customer')).thenFails('InvalidCommandData');
  });

  it('is refused for an order never placed', () => {
    given([]).when(screen('allow', null)).thenFails('OrderNotFound');
  });
});

describe('an order held for review', () => {
  const held = [placed, screened('review', 'new_account_amount')];

  it('holds no stock: a reservation is not recorded while it waits', () => {
    given(held)
      .when({ type: 'RecordLineReserved', data: { orderId, sku: 'SKU-A', quantity: 1, at } })
      .thenFails('OrderNotPending');
  });

  it('approved, goes on as a pending order', () => {
    given(held)
      .when(review('approve'))
      .then([reviewed('approve')]);
    expect(statusAfter(...held, reviewed('approve'))).toBe('pending');
    given([...held, reviewed('approve')])
      .when({ type: 'RecordLineReserved', data: { orderId, sku: 'SKU-A', quantity: 1, at } })
      .then([lineReserved]);
  });

  it('rejected, is cancelled for fraud_suspected in the same append', () => {
    given(held)
      .when(review('reject'))
      .then([reviewed('reject'), cancelled('fraud_suspected')]);
    expect(statusAfter(...held, reviewed('reject'), cancelled('fraud_suspected'))).toBe('cancelled');
  });

  it('takes one decision: the same again is a no-op, the other is refused', () => {
    given([...held, reviewed('approve')])
      .when(review('approve'))
      .thenNothingHappens();
    given([...held, reviewed('approve')])
      .when(review('reject'))
      .thenFails('OrderNotInReview');
  });

  it('may be cancelled by its customer while it waits', () => {
    given(held)
      .when({ type: 'CancelOrder', data: { orderId, reason: 'cancelled_by_customer', at } })
      .then([cancelled('cancelled_by_customer')]);
  });

  it('is the only kind of order an admin reviews', () => {
    given([placed]).when(review('approve')).thenFails('OrderNotInReview');
    given([placed, screened('block', 'declines_per_customer'), cancelled('fraud_suspected')])
      .when(review('approve'))
      .thenFails('OrderNotInReview');
  });
});

describe('the placement keeps a keyed hash of the client address', () => {
  it('on OrderPlaced, and a retry from another address is the same order', () => {
    const {
      lines: _lines,
      total: _total,
      clientKey: _key,
      ...same
    } = placed.data as typeof placed.data & {
      clientKey: string;
    };
    given([placed])
      .when({
        type: 'PlaceOrder',
        data: {
          ...same,
          lines: [{ sku: 'SKU-A', quantity: 1, unitPrice: usd(500) }],
          clientKey: 'another-key-1',
        },
      })
      .thenNothingHappens();
    expect(fold(orderDecider, [placed])).toMatchObject({
      clientKey: 'k3yed-hash-of-an-address',
      screening: null,
    });
  });

  it('refuses what looks like an address rather than a hash', () => {
    given([])
      .when({
        type: 'PlaceOrder',
        data: {
          orderId,
          customerId: 'customer-1',
          lines: [{ sku: 'SKU-A', quantity: 1, unitPrice: usd(500) }],
          paymentMethod: 'pm_card_visa',
          placedAt,
          clientKey: '203.0.113.7',
        },
      })
      .thenFails('InvalidCommandData');
  });
});

describe('malformed screening and review commands', () => {
  it('are answered with a domain error, never a throw', () => {
    const anything = fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything()));
    fc.assert(
      fc.property(
        fc.constantFrom('ScreenOrder', 'ReviewOrder'),
        anything,
        fc.boolean(),
        (type, data, held) => {
          const history = held ? [placed, screened('review', 'orders_per_customer')] : [placed];
          const result = orderDecider.decide({ type, data } as OrderCommand, fold(orderDecider, history));
          expect(isLeft(result) || Array.isArray(result.right)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
