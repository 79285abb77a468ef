import { onAnswerAfterCancelling, onRelease, onRefund, onVoid } from './compensate.ts';
import {
  authorization,
  done,
  recordAnswer,
  resume,
  sending,
  type AnswerTo,
  type CheckoutInput,
  type CheckoutSettings,
  type Decision,
} from './decisions.ts';
import { nextStep, paymentKey } from './next-step.ts';
import { onScreening, screeningRequest } from './screening.ts';
import { evolve, idOf, initialState, placed, type CheckoutState } from './state.ts';

/**
 * The checkout process manager as a decider over its own inputs (Emmett's `Workflow`): given the
 * order's and payment's streams (`CheckoutState`) and an input (time to act, or the answer to what it
 * asked), it decides the commands to send, each naming the event that caused it, and what to do then.
 * Pure: the executor (`CheckoutSaga`) reads the streams, sends, and asks the inventory and the gateway.
 */
export function decide(input: CheckoutInput, state: CheckoutState, settings: CheckoutSettings): Decision {
  switch (input.type) {
    case 'Resume':
      return onResume(state, input.at, settings);
    case 'ScreeningAnswered':
      return onScreening(state, input, settings);
    case 'ReservationAnswered':
      return onReservation(state, input);
    case 'CommitAnswered':
      return onCommit(state, input);
    case 'AuthorizationAnswered':
      return placed(state).status === 'cancelled'
        ? onAnswerAfterCancelling(state, input, settings)
        : onAuthorization(state, input);
    case 'CaptureAnswered': {
      const send = sending(placed(state), input.at);
      return { send: [send.payment('RecordCapture', {}, idOf(state, 'OrderConfirmed'))], then: done };
    }
    case 'ReleaseAnswered':
      return onRelease(state, input);
    case 'VoidAnswered':
      return onVoid(state, input);
    case 'RefundAnswered':
      return onRefund(state, input);
  }
}

/** The checkout process manager as one value, as the domain's deciders are. */
export const checkoutDecider = (settings: CheckoutSettings) => ({
  decide: (input: CheckoutInput, state: CheckoutState) => decide(input, state, settings),
  evolve,
  initialState,
});

function onResume(state: CheckoutState, at: string, settings: CheckoutSettings): Decision {
  const step = nextStep(state.order, state.payment, settings.fraud !== undefined);
  if (step.kind === 'done') return { send: [], then: done, step: step.kind };
  const { order } = step;
  const send = sending(order, at);
  const decided = (decision: Omit<Decision, 'step'>): Decision => ({ ...decision, step: step.kind });
  switch (step.kind) {
    case 'screen':
      return decided({ send: [], then: { kind: 'screen', request: screeningRequest(order) } });
    case 'reserve': {
      const { sku, quantity } = step.line;
      const expiresAt = new Date(Date.parse(at) + settings.reservationTtlMs).toISOString();
      const reserve = send.inventory(
        sku,
        'ReserveStock',
        { sku, quantity, expiresAt },
        idOf(state, 'OrderPlaced'),
      );
      return decided({ send: [], then: { kind: 'reserve', send: reserve } });
    }
    case 'requestPayment':
      // A crash left the request out: the record of the last reservation is what asks for it now.
      return decided({
        send: [requestPayment(state, at, idOf(state, 'OrderLineReserved'), step.attempt)],
        then: resume,
      });
    case 'authorize': {
      const request = authorization(order, step.idempotencyKey);
      return decided({
        send: [],
        then: { kind: 'authorize', request, retry: true, answered: 'after-authorization' },
      });
    }
    case 'recordPaymentFailure':
      return decided({
        send: [send.order('RecordPaymentFailed', { reason: step.reason }, idOf(state, 'PaymentFailed'))],
        then: resume,
      });
    case 'commitAndConfirm': {
      const commits = order.lines.map(({ sku }) =>
        send.inventory(sku, 'CommitReservation', {}, authorizationId(state)),
      );
      return decided({ send: [], then: { kind: 'commit', sends: commits } });
    }
    case 'cancel':
      return decided({
        send: [send.order('CancelOrder', { reason: step.reason }, cancellationCause(state))],
        then: resume,
      });
    case 'capture': {
      const idempotencyKey = `${order.orderId}:capture`;
      return decided({
        send: [],
        then: { kind: 'capture', gatewayRef: step.gatewayRef, idempotencyKey, answered: 'after-capture' },
      });
    }
    case 'compensate': {
      // The cancellation is what gives the stock back.
      const reason = order.cancellationReason ?? 'cancelled';
      const releases = order.lines.map(({ sku }) =>
        send.inventory(sku, 'ReleaseReservation', { reason }, idOf(state, 'OrderCancelled')),
      );
      return decided({ send: [], then: { kind: 'release', sends: releases } });
    }
  }
}

function onReservation(state: CheckoutState, { sku, at, answer }: AnswerTo<'ReservationAnswered'>): Decision {
  const order = placed(state);
  const send = sending(order, at);
  const { quantity } = order.lines.find((line) => line.sku === sku)!;
  switch (answer.outcome) {
    case 'reserved': {
      const step = nextStep(state.order, state.payment);
      const lastLine = order.reservedSkus.length + 1 >= order.lines.length;
      // The last line's record and the payment request concern two streams: sent together, they go to
      // the store together. A crash between the two leaves one out, and it is the next step then.
      return {
        send: [
          send.order('RecordLineReserved', { sku, quantity }, answer.eventId),
          ...(step.kind === 'reserve' && step.requestPayment
            ? [requestPayment(state, at, answer.eventId)]
            : []),
        ],
        reached: lastLine ? 'after-reservation' : 'mid-reservation',
        then: resume,
      };
    }
    case 'short': {
      const shortage = { sku, requested: quantity, available: answer.available };
      return { send: [send.order('RejectForStock', shortage, idOf(state, 'OrderPlaced'))], then: resume };
    }
    case 'ended':
      return {
        send: [send.order('CancelOrder', { reason: 'reservation_expired' }, answer.eventId)],
        then: resume,
      };
  }
}

function onAuthorization(state: CheckoutState, { at, answer }: AnswerTo<'AuthorizationAnswered'>): Decision {
  return { send: [recordAnswer(state, at, answer)], then: resume };
}

function onCommit(state: CheckoutState, { at, answer }: AnswerTo<'CommitAnswered'>): Decision {
  const order = placed(state);
  const send = sending(order, at);
  if (answer.outcome === 'ended')
    return {
      send: [send.order('CancelOrder', { reason: 'reservation_expired' }, answer.eventId)],
      then: resume,
    };
  const cause = authorizationId(state);
  const { payment } = state;
  const tellOrder = !order.paymentAuthorized && payment.status === 'authorized';
  // Sent in one tick, the two records are decided together and appended as one batch.
  return {
    send: [
      ...(tellOrder
        ? [
            send.order(
              'RecordPaymentAuthorized',
              { paymentId: payment.gatewayRef!, amount: order.total },
              cause,
            ),
          ]
        : []),
      send.order('ConfirmOrder', {}, cause),
    ],
    reached: 'after-confirmation',
    then: resume,
  };
}

function requestPayment(state: CheckoutState, at: string, causationId: string, attempt = 1) {
  const order = placed(state);
  const { total: amount, paymentMethod, orderId } = order;
  const request = { amount, paymentMethod, idempotencyKey: paymentKey(orderId, attempt), attempt };
  return sending(order, at).payment('RequestPayment', request, causationId);
}

/** The recorded authorization: on the payment stream, or (if only the order knows it) on the order's. */
const authorizationId = (state: CheckoutState) => idOf(state, 'PaymentAuthorized', 'OrderPaymentAuthorized');

/** What the order is cancelled for: the record of the rejection, the failure, or the payment's end. */
function cancellationCause(state: CheckoutState): string {
  const order = placed(state);
  if (order.stockRejection) return idOf(state, 'OrderStockRejected');
  if (order.paymentFailureReason) return idOf(state, 'OrderPaymentFailed');
  return idOf(state, 'PaymentVoided', 'PaymentCaptured', 'PaymentRefunded', 'PaymentFailed');
}
