import { openRefunds, pendingCancellationStock, pendingRestocks } from '../../domain/order/index.ts';
import { evolve, idOf, initialState, type CheckoutState } from '../checkout/state.ts';
import {
  done,
  refundKey,
  restockReason,
  resume,
  sending,
  voidKey,
  type AnswerTo,
  type Decision,
  type RefundInput,
} from './decisions.ts';

/**
 * The refund process as a decider over its own inputs, like checkout's: given the order's and the
 * payment's streams (folded as their deciders fold them, with the id of the latest event of each type)
 * and an input (time to act, or the answer to what it asked), it decides the commands to send and what
 * to do then. Its work, in order: stock of an order cancelled after payment back on hand, restocked
 * returns back on hand, then each promised refund through the gateway (a hold never captured is
 * voided instead), recorded on the payment stream and then on the order. Pure: `RefundProcess` reads
 * the streams, sends, and asks the inventory and the gateway.
 */
export type RefundState = CheckoutState;

export function decide(input: RefundInput, state: RefundState): Decision {
  if (state.order.status === 'not_placed') return { send: [], then: done, step: 'done' };
  const send = sending(state.order, input.at);
  switch (input.type) {
    case 'Resume':
      return onResume(state, input.at);
    case 'StockReturned': {
      const { sku, quantity, returnId } = input;
      const cause = idOf(state, returnId === null ? 'OrderCancelled' : 'ReturnReceived');
      return { send: [send.order('RecordStockReturned', { sku, quantity, returnId }, cause)], then: resume };
    }
    case 'RefundAnswered':
      return onRefund(state, input);
    case 'VoidAnswered': {
      const { answer, refundId } = input;
      if (answer.outcome === 'failed')
        // Refused: the hold may have been captured meanwhile; read the streams again later and refund then.
        return failed(state, input.at, refundId, answer.reason, true);
      return {
        send: [
          send.payment('RecordVoid', { reason: 'refunded before capture' }, idOf(state, 'RefundRequested')),
        ],
        then: resume,
      };
    }
  }
}

/** The refund process as one value, as the domain's deciders are. */
export const refundDecider = { decide, evolve, initialState };

function onResume(state: RefundState, at: string): Decision {
  const order = state.order;
  if (order.status === 'not_placed') return { send: [], then: done, step: 'done' };
  const send = sending(order, at);
  const [held] = pendingCancellationStock(order);
  if (held)
    return {
      send: [],
      then: {
        kind: 'returnReservation',
        sku: held.sku,
        quantity: held.quantity,
        reason: order.cancellationReason ?? 'cancelled after payment',
        causationId: idOf(state, 'OrderCancelled'),
      },
      step: 'returnStock',
    };
  const [restock] = pendingRestocks(order);
  if (restock) {
    const received = order.returns.find((r) => r.returnId === restock.returnId)!;
    return {
      send: [],
      then: {
        kind: 'restock',
        ...restock,
        reason: restockReason(restock.returnId),
        since: received.receivedAt ?? order.updatedAt,
        causationId: idOf(state, 'ReturnReceived'),
      },
      step: 'restock',
    };
  }
  const [refund] = openRefunds(order);
  if (!refund) return { send: [], then: done, step: 'done' };
  const { payment } = state;
  const { refundId } = refund;
  if (payment.status === 'not_requested')
    return {
      send: [],
      then: { kind: 'retryLater', reason: `order ${order.orderId} has no payment` },
      step: 'wait',
    };
  // Refunded at the gateway and recorded on the payment stream: the order is told last.
  if (payment.refundIds.includes(refundId))
    return {
      send: [send.order('RecordRefundIssued', { refundId }, idOf(state, 'PaymentRefunded'))],
      reached: 'refund-after-issued',
      then: resume,
      step: 'recordIssued',
    };
  switch (payment.status) {
    case 'captured':
      return {
        send: [],
        then: {
          kind: 'refund',
          refundId,
          gatewayRef: payment.gatewayRef!,
          amount: refund.amount,
          idempotencyKey: refundKey(order.orderId, refundId),
        },
        step: 'refund',
      };
    case 'voided':
      // Nothing was ever taken: the void gave it all back.
      return {
        send: [send.order('RecordRefundIssued', { refundId }, idOf(state, 'PaymentVoided'))],
        reached: 'refund-after-issued',
        then: resume,
        step: 'recordIssued',
      };
    case 'authorized':
      if (order.status === 'cancelled')
        return {
          send: [],
          then: {
            kind: 'void',
            refundId,
            gatewayRef: payment.gatewayRef!,
            idempotencyKey: voidKey(order.orderId),
          },
          step: 'void',
        };
      return {
        send: [],
        then: { kind: 'retryLater', reason: `order ${order.orderId} is not captured yet` },
        step: 'wait',
      };
    case 'refunded':
      return { ...failed(state, at, refundId, 'nothing_left_to_refund', false), step: 'reject' };
    default:
      return {
        send: [],
        then: { kind: 'retryLater', reason: `the payment of order ${order.orderId} is ${payment.status}` },
        step: 'wait',
      };
  }
}

function onRefund(state: RefundState, { at, refundId, answer }: AnswerTo<'RefundAnswered'>): Decision {
  if (answer.outcome === 'failed') return failed(state, at, refundId, answer.reason, answer.retryable);
  const order = state.order;
  if (order.status === 'not_placed') return { send: [], then: done };
  const refund = order.refunds.find((r) => r.refundId === refundId)!;
  return {
    send: [
      sending(order, at).payment(
        'RecordRefund',
        { amount: refund.amount, refundId },
        idOf(state, 'RefundRequested'),
      ),
    ],
    reached: 'refund-after-payment-record',
    then: resume,
  };
}

/** A failure is recorded on the order (visible there); a retryable one is tried again later, same key. */
function failed(
  state: RefundState,
  at: string,
  refundId: string,
  reason: string,
  retryable: boolean,
): Decision {
  if (state.order.status === 'not_placed') return { send: [], then: done };
  const send = sending(state.order, at);
  return {
    send: [send.order('RecordRefundFailed', { refundId, reason, retryable }, idOf(state, 'RefundRequested'))],
    then: retryable ? { kind: 'retryLater', reason: `refund ${refundId} failed: ${reason}` } : resume,
  };
}
