import {
  authorization,
  done,
  recordAnswer,
  sending,
  type AnswerTo,
  type Ask,
  type CheckoutSettings,
  type Decision,
} from './decisions.ts';
import { idOf, placed, type CheckoutState } from './state.ts';

/**
 * The checkout process's decisions for a cancelled order: give back what it held, its stock (released,
 * or returned once committed) and its money (a hold voided, a capture refunded), each because the order
 * was cancelled. The stock goes first; the money's step depends on what the payment stream says.
 */

export function onRelease(
  state: CheckoutState,
  { at, committedSkus }: AnswerTo<'ReleaseAnswered'>,
): Decision {
  const order = placed(state);
  const send = sending(order, at);
  const returns = committedSkus.map((sku) =>
    send.inventory(
      sku,
      'ReturnReservation',
      { reason: 'order cancelled after commit' },
      idOf(state, 'OrderCancelled'),
    ),
  );
  const { payment } = state;
  if (payment.status === 'not_requested') return { send: returns, then: done };
  const answerUnknown =
    payment.status === 'requested' ||
    (payment.status === 'failed' && payment.failureReason === 'gateway_timeout');
  // The gateway's answer to our last request is unknown (never heard, or it timed out and may have gone
  // through late): ask once more with the same key, and undo an authorization if there is one.
  if (answerUnknown)
    return {
      send: returns,
      then: { kind: 'authorize', request: authorization(order, payment.idempotencyKey), retry: false },
    };
  if (payment.status === 'authorized') return { send: returns, then: voidHold(state, payment.gatewayRef!) };
  if (payment.status === 'captured') {
    const idempotencyKey = `${order.orderId}:refund`;
    return {
      send: returns,
      then: { kind: 'refund', gatewayRef: payment.gatewayRef!, amount: order.total, idempotencyKey },
    };
  }
  return { send: returns, then: done };
}

/** The gateway's answer, asked again for a cancelled order: an authorization is recorded and voided at once. */
export function onAnswerAfterCancelling(
  state: CheckoutState,
  { at, answer }: AnswerTo<'AuthorizationAnswered'>,
  settings: CheckoutSettings,
): Decision {
  const order = placed(state);
  const record = recordAnswer(state, at, answer);
  if (answer.status === 'authorized') return { send: [record], then: voidHold(state, answer.gatewayRef) };
  const cancelledFor = Date.parse(at) - Date.parse(order.updatedAt);
  if (answer.reason === 'gateway_timeout' && cancelledFor < settings.unknownAnswerGraceMs) {
    const reason = `the gateway still has no answer for ${order.orderId}; asking again later`;
    return { send: [], then: { kind: 'retryLater', reason } };
  }
  return { send: state.payment.status === 'failed' ? [] : [record], then: done };
}

export function onVoid(state: CheckoutState, { at }: AnswerTo<'VoidAnswered'>): Decision {
  const send = sending(placed(state), at);
  return {
    send: [send.payment('RecordVoid', { reason: 'order cancelled' }, idOf(state, 'OrderCancelled'))],
    then: done,
  };
}

export function onRefund(state: CheckoutState, { at }: AnswerTo<'RefundAnswered'>): Decision {
  const order = placed(state);
  const send = sending(order, at);
  return {
    send: [send.payment('RecordRefund', { amount: order.total }, idOf(state, 'OrderCancelled'))],
    then: done,
  };
}

const voidHold = (state: CheckoutState, gatewayRef: string): Ask => ({
  kind: 'void',
  gatewayRef,
  idempotencyKey: `${placed(state).orderId}:void`,
});
