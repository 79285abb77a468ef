import { describe, expect, it } from 'vitest';
import { decide } from '../../src/sagas/checkout/decide.ts';
import type { CheckoutInput, Decision } from '../../src/sagas/checkout/decisions.ts';
import { paymentKey } from '../../src/sagas/checkout/next-step.ts';
import { evolve, initialState, type CheckoutEvent } from '../../src/sagas/checkout/state.ts';

// The checkout process manager, decision by decision: given the events of the order's and the
// payment's streams (with their ids), when the saga resumes or an answer comes in, then these
// commands are sent, each naming the event that caused it, and this is what happens next.

const settings = { reservationTtlMs: 10 * 60_000, unknownAnswerGraceMs: 60_000 };

const given = (...history: CheckoutEvent[]) => ({
  when: (input: CheckoutInput) => ({
    then: (expected: Decision) =>
      expect(decide(input, history.reduce(evolve, initialState()), settings)).toEqual(expected),
  }),
});

const orderId = 'order-1';
const placedAt = '2026-01-01T00:00:00.000Z';
const at = '2026-01-01T00:01:00.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });
const total = usd(300);
const key = paymentKey(orderId, 1);

const event = (eventId: string, type: string, data: Record<string, unknown>): CheckoutEvent => ({
  eventId,
  type,
  data: { orderId, ...data },
});

// The order's stream: two lines, A (1 x 100) and B (2 x 100).
const placed = event('placed', 'OrderPlaced', {
  customerId: 'customer-1',
  lines: [
    { sku: 'A', quantity: 1, unitPrice: usd(100), lineTotal: usd(100) },
    { sku: 'B', quantity: 2, unitPrice: usd(100), lineTotal: usd(200) },
  ],
  total,
  paymentMethod: 'pm_card_visa',
  placedAt,
});
const lineReserved = (sku: string, quantity: number) =>
  event(`line-${sku}`, 'OrderLineReserved', { sku, quantity, at: placedAt });
const bothLinesReserved = [lineReserved('A', 1), lineReserved('B', 2)];
const stockRejected = event('rejected', 'OrderStockRejected', { sku: 'B', requested: 2, available: 1, at });
const orderPaymentAuthorized = event('order-authorized', 'OrderPaymentAuthorized', {
  paymentId: 'ref-1',
  amount: total,
  at,
});
const orderPaymentFailed = event('order-failed', 'OrderPaymentFailed', { reason: 'card_declined', at });
const confirmed = event('confirmed', 'OrderConfirmed', { at });
const cancelledAt = '2026-01-01T00:02:00.000Z';
const cancelled = (reason: string) => event('cancelled', 'OrderCancelled', { reason, at: cancelledAt });

// The payment's stream.
const requested = event('requested', 'PaymentRequested', {
  amount: total,
  paymentMethod: 'pm_card_visa',
  idempotencyKey: key,
  attempt: 1,
  at: placedAt,
});
const authorized = event('authorized', 'PaymentAuthorized', { gatewayRef: 'ref-1', amount: total, at });
const failed = (reason: string) => event('failed', 'PaymentFailed', { attempt: 1, reason, at });
const captured = event('captured', 'PaymentCaptured', { gatewayRef: 'ref-1', amount: total, at });
const voided = event('voided', 'PaymentVoided', { gatewayRef: 'ref-1', reason: 'r', at });

const resume: CheckoutInput = { type: 'Resume', at };
const authorizeRequest = {
  orderId,
  amount: total,
  paymentMethod: 'pm_card_visa',
  idempotencyKey: key,
  customerId: 'customer-1',
};
const release = (sku: string, reason: string) => ({
  to: 'inventory' as const,
  sku,
  command: { type: 'ReleaseReservation' as const, data: { reservationId: orderId, reason, now: at } },
  causationId: 'cancelled',
});
const commit = (sku: string, causationId: string) => ({
  to: 'inventory' as const,
  sku,
  command: { type: 'CommitReservation' as const, data: { reservationId: orderId, now: at } },
  causationId,
});
const requestPayment = (causationId: string) => ({
  to: 'payment' as const,
  command: {
    type: 'RequestPayment' as const,
    data: { orderId, amount: total, paymentMethod: 'pm_card_visa', idempotencyKey: key, attempt: 1, at },
  },
  causationId,
});
const cancelOrder = (reason: string, causationId: string) => ({
  to: 'order' as const,
  command: { type: 'CancelOrder' as const, data: { orderId, reason, at } },
  causationId,
});

describe('the checkout process resumes an order from its streams', () => {
  it('does nothing for an order that was never placed', () => {
    given()
      .when(resume)
      .then({ send: [], then: { kind: 'done' }, step: 'done' });
  });

  it('reserves the first line because the order was placed, until the reservation expires', () => {
    given(placed)
      .when(resume)
      .then({
        send: [],
        then: {
          kind: 'reserve',
          send: {
            to: 'inventory',
            sku: 'A',
            command: {
              type: 'ReserveStock',
              data: {
                sku: 'A',
                reservationId: orderId,
                quantity: 1,
                now: at,
                expiresAt: '2026-01-01T00:11:00.000Z',
              },
            },
            causationId: 'placed',
          },
        },
        step: 'reserve',
      });
  });

  it('reserves the next line, still because the order was placed', () => {
    given(placed, lineReserved('A', 1))
      .when(resume)
      .then({
        send: [],
        then: {
          kind: 'reserve',
          send: {
            to: 'inventory',
            sku: 'B',
            command: {
              type: 'ReserveStock',
              data: {
                sku: 'B',
                reservationId: orderId,
                quantity: 2,
                now: at,
                expiresAt: '2026-01-01T00:11:00.000Z',
              },
            },
            causationId: 'placed',
          },
        },
        step: 'reserve',
      });
  });

  it('requests the payment a crash left out, because the last line was recorded as reserved', () => {
    given(placed, ...bothLinesReserved)
      .when(resume)
      .then({ send: [requestPayment('line-B')], then: { kind: 'resume' }, step: 'requestPayment' });
  });

  it('asks the gateway to authorize the requested payment, retrying timeouts with its key', () => {
    given(placed, ...bothLinesReserved, requested)
      .when(resume)
      .then({
        send: [],
        then: { kind: 'authorize', request: authorizeRequest, retry: true, answered: 'after-authorization' },
        step: 'authorize',
      });
  });

  it('commits every line because the payment was authorized', () => {
    given(placed, ...bothLinesReserved, requested, authorized)
      .when(resume)
      .then({
        send: [],
        then: { kind: 'commit', sends: [commit('A', 'authorized'), commit('B', 'authorized')] },
        step: 'commitAndConfirm',
      });
  });

  it('commits again for an authorized order a crash left unconfirmed', () => {
    given(placed, ...bothLinesReserved, requested, authorized, orderPaymentAuthorized)
      .when(resume)
      .then({
        send: [],
        then: { kind: 'commit', sends: [commit('A', 'authorized'), commit('B', 'authorized')] },
        step: 'commitAndConfirm',
      });
  });

  it('tells the order of a failed payment, because the payment failed', () => {
    given(placed, ...bothLinesReserved, requested, failed('card_declined'))
      .when(resume)
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'RecordPaymentFailed', data: { orderId, reason: 'card_declined', at } },
            causationId: 'failed',
          },
        ],
        then: { kind: 'resume' },
        step: 'recordPaymentFailure',
      });
  });

  it('cancels an order whose payment failed, because the order recorded the failure', () => {
    given(placed, ...bothLinesReserved, requested, failed('card_declined'), orderPaymentFailed)
      .when(resume)
      .then({
        send: [cancelOrder('payment_failed', 'order-failed')],
        then: { kind: 'resume' },
        step: 'cancel',
      });
  });

  it('cancels an order it could not fill, because the order recorded the shortage', () => {
    given(placed, lineReserved('A', 1), stockRejected)
      .when(resume)
      .then({ send: [cancelOrder('out_of_stock', 'rejected')], then: { kind: 'resume' }, step: 'cancel' });
  });

  it('cancels an order whose payment was voided before the order knew it was authorized', () => {
    given(placed, ...bothLinesReserved, requested, authorized, voided)
      .when(resume)
      .then({ send: [cancelOrder('payment_failed', 'voided')], then: { kind: 'resume' }, step: 'cancel' });
  });

  it('captures the payment of a confirmed order', () => {
    given(placed, ...bothLinesReserved, requested, authorized, orderPaymentAuthorized, confirmed)
      .when(resume)
      .then({
        send: [],
        then: {
          kind: 'capture',
          gatewayRef: 'ref-1',
          idempotencyKey: `${orderId}:capture`,
          answered: 'after-capture',
        },
        step: 'capture',
      });
  });

  it('has nothing left to do for a confirmed order whose payment was captured', () => {
    given(placed, ...bothLinesReserved, requested, authorized, orderPaymentAuthorized, confirmed, captured)
      .when(resume)
      .then({ send: [], then: { kind: 'done' }, step: 'done' });
  });

  it('releases every line of a cancelled order, because it was cancelled', () => {
    given(placed, lineReserved('A', 1), stockRejected, cancelled('out_of_stock'))
      .when(resume)
      .then({
        send: [],
        then: { kind: 'release', sends: [release('A', 'out_of_stock'), release('B', 'out_of_stock')] },
        step: 'compensate',
      });
  });
});

describe('the checkout process records what the inventory answered', () => {
  const reservedAnswer = (sku: string): CheckoutInput => ({
    type: 'ReservationAnswered',
    sku,
    at,
    answer: { outcome: 'reserved', eventId: `stock-reserved-${sku}` },
  });

  it('records a reserved line because its stock was reserved', () => {
    given(placed)
      .when(reservedAnswer('A'))
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'RecordLineReserved', data: { orderId, sku: 'A', quantity: 1, at } },
            causationId: 'stock-reserved-A',
          },
        ],
        reached: 'mid-reservation',
        then: { kind: 'resume' },
      });
  });

  it('records the last reserved line and requests the payment, both because that stock was reserved', () => {
    given(placed, lineReserved('A', 1))
      .when(reservedAnswer('B'))
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'RecordLineReserved', data: { orderId, sku: 'B', quantity: 2, at } },
            causationId: 'stock-reserved-B',
          },
          requestPayment('stock-reserved-B'),
        ],
        reached: 'after-reservation',
        then: { kind: 'resume' },
      });
  });

  it('records the last line only, when a crash left only that out', () => {
    given(placed, lineReserved('A', 1), requested)
      .when(reservedAnswer('B'))
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'RecordLineReserved', data: { orderId, sku: 'B', quantity: 2, at } },
            causationId: 'stock-reserved-B',
          },
        ],
        reached: 'after-reservation',
        then: { kind: 'resume' },
      });
  });

  it('rejects the order for stock when a line is short, because of the order as placed', () => {
    given(placed, lineReserved('A', 1))
      .when({ type: 'ReservationAnswered', sku: 'B', at, answer: { outcome: 'short', available: 1 } })
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'RejectForStock', data: { orderId, sku: 'B', requested: 2, available: 1, at } },
            causationId: 'placed',
          },
        ],
        then: { kind: 'resume' },
      });
  });

  it('cancels the order when its reservation ended first, because of the event that ended it', () => {
    given(placed)
      .when({ type: 'ReservationAnswered', sku: 'A', at, answer: { outcome: 'ended', eventId: 'expired-A' } })
      .then({ send: [cancelOrder('reservation_expired', 'expired-A')], then: { kind: 'resume' } });
  });

  it('tells the order of the authorization and confirms it once every line is committed', () => {
    given(placed, ...bothLinesReserved, requested, authorized)
      .when({ type: 'CommitAnswered', at, answer: { outcome: 'committed' } })
      .then({
        send: [
          {
            to: 'order',
            command: {
              type: 'RecordPaymentAuthorized',
              data: { orderId, paymentId: 'ref-1', amount: total, at },
            },
            causationId: 'authorized',
          },
          {
            to: 'order',
            command: { type: 'ConfirmOrder', data: { orderId, at } },
            causationId: 'authorized',
          },
        ],
        reached: 'after-confirmation',
        then: { kind: 'resume' },
      });
  });

  it('only confirms an order that knows of its authorization already', () => {
    given(placed, ...bothLinesReserved, requested, authorized, orderPaymentAuthorized)
      .when({ type: 'CommitAnswered', at, answer: { outcome: 'committed' } })
      .then({
        send: [
          {
            to: 'order',
            command: { type: 'ConfirmOrder', data: { orderId, at } },
            causationId: 'authorized',
          },
        ],
        reached: 'after-confirmation',
        then: { kind: 'resume' },
      });
  });

  it('cancels instead when a reservation ended before it was committed', () => {
    given(placed, ...bothLinesReserved, requested, authorized)
      .when({ type: 'CommitAnswered', at, answer: { outcome: 'ended', eventId: 'expired-B' } })
      .then({ send: [cancelOrder('reservation_expired', 'expired-B')], then: { kind: 'resume' } });
  });
});

describe('the checkout process records what the gateway answered', () => {
  const pending = [placed, ...bothLinesReserved, requested];

  it('records an authorization because of the request it answers', () => {
    given(...pending)
      .when({ type: 'AuthorizationAnswered', at, answer: { status: 'authorized', gatewayRef: 'ref-1' } })
      .then({
        send: [
          {
            to: 'payment',
            command: {
              type: 'RecordAuthorization',
              data: { orderId, gatewayRef: 'ref-1', amount: total, at },
            },
            causationId: 'requested',
          },
        ],
        then: { kind: 'resume' },
      });
  });

  it('records a decline because of the request it answers', () => {
    given(...pending)
      .when({ type: 'AuthorizationAnswered', at, answer: { status: 'declined', reason: 'card_declined' } })
      .then({
        send: [
          {
            to: 'payment',
            command: { type: 'RecordPaymentFailure', data: { orderId, reason: 'card_declined', at } },
            causationId: 'requested',
          },
        ],
        then: { kind: 'resume' },
      });
  });

  it('records the capture because the order was confirmed, and is done', () => {
    given(...pending, authorized, orderPaymentAuthorized, confirmed)
      .when({ type: 'CaptureAnswered', at })
      .then({
        send: [
          {
            to: 'payment',
            command: { type: 'RecordCapture', data: { orderId, at } },
            causationId: 'confirmed',
          },
        ],
        then: { kind: 'done' },
      });
  });
});

describe('the checkout process gives back what a cancelled order held', () => {
  const returnA = {
    to: 'inventory' as const,
    sku: 'A',
    command: {
      type: 'ReturnReservation' as const,
      data: { reservationId: orderId, reason: 'order cancelled after commit', now: at },
    },
    causationId: 'cancelled',
  };
  // Captured before the order knew it was authorized (a gateway that captures on its own): never kept.
  const capturedThenCancelled = [
    placed,
    ...bothLinesReserved,
    requested,
    authorized,
    captured,
    cancelled('payment_failed'),
  ];
  const released = (...committedSkus: string[]): CheckoutInput => ({
    type: 'ReleaseAnswered',
    at,
    committedSkus,
  });

  it('is done once the stock is released, when no payment was requested', () => {
    given(placed, lineReserved('A', 1), stockRejected, cancelled('out_of_stock'))
      .when(released())
      .then({ send: [], then: { kind: 'done' } });
  });

  it('returns committed units because the order was cancelled', () => {
    given(placed, lineReserved('A', 1), stockRejected, cancelled('out_of_stock'))
      .when(released('A'))
      .then({ send: [returnA], then: { kind: 'done' } });
  });

  it('voids an authorized payment', () => {
    given(placed, ...bothLinesReserved, requested, authorized, cancelled('cancelled_by_customer'))
      .when(released())
      .then({ send: [], then: { kind: 'void', gatewayRef: 'ref-1', idempotencyKey: `${orderId}:void` } });
  });

  it('refunds a captured payment', () => {
    given(...capturedThenCancelled)
      .when(released('A'))
      .then({
        send: [returnA],
        then: { kind: 'refund', gatewayRef: 'ref-1', amount: total, idempotencyKey: `${orderId}:refund` },
      });
  });

  it('asks the gateway once more when its answer to the request is unknown', () => {
    const askAgain = { kind: 'authorize', request: authorizeRequest, retry: false } as const;
    given(placed, ...bothLinesReserved, requested, cancelled('cancelled_by_customer'))
      .when(released())
      .then({ send: [], then: askAgain });
    given(
      placed,
      ...bothLinesReserved,
      requested,
      failed('gateway_timeout'),
      orderPaymentFailed,
      cancelled('payment_failed'),
    )
      .when(released())
      .then({ send: [], then: askAgain });
  });

  it('is done once the stock is released, when the payment was declined or voided', () => {
    given(
      placed,
      ...bothLinesReserved,
      requested,
      failed('card_declined'),
      orderPaymentFailed,
      cancelled('payment_failed'),
    )
      .when(released())
      .then({ send: [], then: { kind: 'done' } });
    given(placed, ...bothLinesReserved, requested, authorized, voided, cancelled('payment_failed'))
      .when(released())
      .then({ send: [], then: { kind: 'done' } });
  });

  describe('when the gateway answers the question asked again', () => {
    const cancelledWhileAsking = [
      placed,
      ...bothLinesReserved,
      requested,
      cancelled('cancelled_by_customer'),
    ];
    const timedOut = (at: string): CheckoutInput => ({
      type: 'AuthorizationAnswered',
      at,
      answer: { status: 'declined', reason: 'gateway_timeout' },
    });
    const recordTimeout = (at: string) => ({
      to: 'payment' as const,
      command: { type: 'RecordPaymentFailure' as const, data: { orderId, reason: 'gateway_timeout', at } },
      causationId: 'requested',
    });

    it('records a late authorization because of the request it answers, then voids it', () => {
      given(...cancelledWhileAsking)
        .when({ type: 'AuthorizationAnswered', at, answer: { status: 'authorized', gatewayRef: 'ref-2' } })
        .then({
          send: [
            {
              to: 'payment',
              command: {
                type: 'RecordAuthorization',
                data: { orderId, gatewayRef: 'ref-2', amount: total, at },
              },
              causationId: 'requested',
            },
          ],
          then: { kind: 'void', gatewayRef: 'ref-2', idempotencyKey: `${orderId}:void` },
        });
    });

    it('tries again later while the gateway has no answer, within the grace period after cancelling', () => {
      given(...cancelledWhileAsking)
        .when(timedOut('2026-01-01T00:02:30.000Z'))
        .then({
          send: [],
          then: {
            kind: 'retryLater',
            reason: `the gateway still has no answer for ${orderId}; asking again later`,
          },
        });
    });

    it('records the failure once the grace period is over, and is done', () => {
      given(...cancelledWhileAsking)
        .when(timedOut('2026-01-01T00:03:00.000Z'))
        .then({ send: [recordTimeout('2026-01-01T00:03:00.000Z')], then: { kind: 'done' } });
    });

    it('records nothing more for a payment that had failed already', () => {
      given(
        placed,
        ...bothLinesReserved,
        requested,
        failed('gateway_timeout'),
        orderPaymentFailed,
        cancelled('payment_failed'),
      )
        .when(timedOut('2026-01-01T00:05:00.000Z'))
        .then({ send: [], then: { kind: 'done' } });
    });
  });

  it('records a void because the order was cancelled, and is done', () => {
    given(placed, ...bothLinesReserved, requested, authorized, cancelled('cancelled_by_customer'))
      .when({ type: 'VoidAnswered', at })
      .then({
        send: [
          {
            to: 'payment',
            command: { type: 'RecordVoid', data: { orderId, reason: 'order cancelled', at } },
            causationId: 'cancelled',
          },
        ],
        then: { kind: 'done' },
      });
  });

  it('records a refund of the whole order because it was cancelled, and is done', () => {
    given(...capturedThenCancelled)
      .when({ type: 'RefundAnswered', at })
      .then({
        send: [
          {
            to: 'payment',
            command: { type: 'RecordRefund', data: { orderId, amount: total, at } },
            causationId: 'cancelled',
          },
        ],
        then: { kind: 'done' },
      });
  });
});
