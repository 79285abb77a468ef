import type { OrderState, PlacedOrder, PricedLine } from '../../domain/order/index.ts';
import type { PaymentState } from '../../domain/payment/index.ts';

/**
 * Where the checkout saga is with one order, decided from the order and payment streams alone: they
 * are the saga's memory, so after a crash it resumes exactly where it was. (`decide.ts` turns the
 * step into the commands to send and the questions to ask.)
 *
 *   pending:   screen the order with the fraud rules, when they are on (held for review: wait for an
 *              admin; blocked: cancelled with the decision) ->
 *              reserve each line (SKU order) -> request payment -> authorize -> record the answer ->
 *              commit every reservation -> record the authorization on the order and confirm it (one
 *              append) (the saga records the last line's reservation and the payment request at once:
 *              the two concern two streams, and whichever of them a crash left out is picked next)
 *              any line short, payment declined, a reservation expired: cancel
 *   confirmed: capture the payment                                   (then the saga is done)
 *   cancelled: release every reservation; void or refund the payment (then the saga is done)
 *   after confirmation (shipped, delivered, refunded...): capture if not captured yet; an order an
 *              admin cancelled after payment is the refund process's (src/sagas/refund/)
 *
 * Reservations are committed before the order is confirmed (ARCHITECTURE.md lists confirm first): a
 * reservation that expired meanwhile then cancels a still-pending order and voids its payment,
 * instead of leaving a confirmed order without stock.
 */
export type SagaStep =
  /** Ask the fraud rules about the order and record their decision, before any stock is reserved. */
  | { kind: 'screen'; order: PlacedOrder }
  /** `requestPayment`: the last line to reserve, and no payment requested yet (recorded together). */
  | { kind: 'reserve'; order: PlacedOrder; line: PricedLine; requestPayment: boolean }
  | { kind: 'requestPayment'; order: PlacedOrder; attempt: number }
  | { kind: 'authorize'; order: PlacedOrder; idempotencyKey: string }
  | { kind: 'recordPaymentFailure'; order: PlacedOrder; reason: string }
  /** `gatewayRef` when the order has yet to record the authorization. */
  | { kind: 'commitAndConfirm'; order: PlacedOrder; gatewayRef?: string }
  | { kind: 'cancel'; order: PlacedOrder; reason: string }
  | { kind: 'capture'; order: PlacedOrder; gatewayRef: string }
  | { kind: 'compensate'; order: PlacedOrder; payment: PaymentState }
  | { kind: 'done' };

/** Steps after which the saga has nothing left to do for the order. */
export const isFinalStep = (step: SagaStep) => step.kind === 'capture' || step.kind === 'compensate';

export const paymentKey = (orderId: string, attempt: number) => `${orderId}:authorize:${attempt}`;

/** `screening`: the fraud rules are on, so a placed order is screened before anything else. */
export function nextStep(order: OrderState, payment: PaymentState, screening = false): SagaStep {
  if (order.status === 'not_placed') return { kind: 'done' };
  switch (order.status) {
    case 'pending':
      return screening && unscreened(order, payment)
        ? { kind: 'screen', order }
        : nextPendingStep(order, payment);
    case 'review':
      // Held for an admin: nothing to do until the review is recorded (it queues the order again).
      return { kind: 'done' };
    case 'confirmed':
    case 'partially_shipped':
    case 'shipped':
    case 'delivered':
    case 'refunded':
      // A confirmed order is captured, whatever happened to it since (an admin may ship at once).
      if (payment.status === 'authorized' && payment.gatewayRef)
        return { kind: 'capture', order, gatewayRef: payment.gatewayRef };
      return { kind: 'done' };
    case 'cancelled':
      // Cancelled after payment by an admin: the refund process gives its stock and money back.
      return order.cancelledAfterPayment ? { kind: 'done' } : { kind: 'compensate', order, payment };
  }
}

/**
 * Not screened, and nothing done yet that screening must come before. An order the saga began before
 * the rules were turned on (a line reserved, a payment asked) goes on unscreened.
 */
const unscreened = (order: PlacedOrder, payment: PaymentState) =>
  !order.screening &&
  order.reservedSkus.length === 0 &&
  !order.stockRejection &&
  payment.status === 'not_requested';

function nextPendingStep(order: PlacedOrder, payment: PaymentState): SagaStep {
  if (order.stockRejection) return { kind: 'cancel', order, reason: 'out_of_stock' };
  if (order.paymentFailureReason) return { kind: 'cancel', order, reason: 'payment_failed' };
  const unreserved = order.lines.filter((line) => !order.reservedSkus.includes(line.sku));
  if (unreserved.length > 0)
    return {
      kind: 'reserve',
      order,
      line: unreserved[0]!,
      requestPayment: unreserved.length === 1 && payment.status === 'not_requested',
    };
  if (!order.paymentAuthorized) {
    switch (payment.status) {
      case 'not_requested':
        return { kind: 'requestPayment', order, attempt: 1 };
      case 'requested':
        return { kind: 'authorize', order, idempotencyKey: payment.idempotencyKey };
      case 'authorized':
        // Commit the stock, then tell the order about the payment and confirm it in one append.
        return { kind: 'commitAndConfirm', order, gatewayRef: payment.gatewayRef! };
      case 'failed':
        return { kind: 'recordPaymentFailure', order, reason: payment.failureReason ?? 'declined' };
      default:
        // Voided, captured or refunded before the order knew it was authorized: never keep it.
        return { kind: 'cancel', order, reason: 'payment_failed' };
    }
  }
  return { kind: 'commitAndConfirm', order };
}
