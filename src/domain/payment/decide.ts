import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { sameMoney } from '../money.ts';
import { isGatewayToken, PAYMENT_METHOD_RULE } from './card-data.ts';
import {
  recordAuthorizationData,
  recordCaptureData,
  recordPaymentFailureData,
  recordRefundData,
  recordVoidData,
  requestPaymentData,
  type PaymentCommand,
  type RecordAuthorization,
  type RecordCapture,
  type RecordPaymentFailure,
  type RecordRefund,
  type RecordVoid,
  type RequestPayment,
} from './commands.ts';
import { invalidCommandData, paymentError, type PaymentError, type PaymentErrorCode } from './errors.ts';
import type { PaymentEvent } from './events.ts';
import type { Payment, PaymentState } from './state.ts';

type Decision = Either<PaymentError, readonly PaymentEvent[]>;

// Frozen: one shared empty answer that no caller can append to.
const nothingHappens: Decision = right(Object.freeze([]));
const reject = (code: PaymentErrorCode, message: string, details?: Record<string, unknown>): Decision =>
  left(paymentError(code, message, details));

const requestedPayment = (state: PaymentState, orderId: string): Either<PaymentError, Payment> => {
  if (state.status === 'not_requested')
    return left(
      paymentError('PaymentNotRequested', `no payment was requested for order ${orderId}`, { orderId }),
    );
  if (state.orderId !== orderId)
    return left(
      paymentError('OrderIdMismatch', `this stream holds the payment of ${state.orderId}`, { orderId }),
    );
  return right(state);
};

const alreadyAuthorized = (payment: Payment): Decision =>
  reject('PaymentAlreadyAuthorized', `order ${payment.orderId} is already paid (${payment.status})`, {
    status: payment.status,
  });

/**
 * The one place a charge can start, so the one place that keeps an order from being charged twice:
 * a new attempt only after the previous one failed, each attempt under a key never used before.
 */
export const requestPayment = (command: RequestPayment, state: PaymentState): Decision => {
  const offered: unknown = command.data?.paymentMethod;
  if (typeof offered === 'string' && !isGatewayToken(offered))
    return reject('CardDataNotAllowed', PAYMENT_METHOD_RULE);
  const parsed = requestPaymentData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, amount, paymentMethod, idempotencyKey, attempt, at } = parsed.data;
  const requested: Decision = right([
    { type: 'PaymentRequested', data: { orderId, amount, paymentMethod, idempotencyKey, attempt, at } },
  ]);
  if (state.status === 'not_requested') return requested;
  if (state.orderId !== orderId)
    return reject('OrderIdMismatch', `this stream holds the payment of ${state.orderId}`, { orderId });

  if (idempotencyKey === state.idempotencyKey) {
    const sameRequest =
      attempt === state.attempt && sameMoney(amount, state.amount) && paymentMethod === state.paymentMethod;
    return sameRequest
      ? nothingHappens
      : reject('IdempotencyKeyReused', 'this idempotency key was sent for another request', { attempt });
  }
  if (state.usedIdempotencyKeys.includes(idempotencyKey))
    return reject('IdempotencyKeyReused', 'this idempotency key was sent for an earlier attempt', {
      attempt,
    });
  if (state.status === 'requested')
    return reject('PaymentInProgress', `attempt ${state.attempt} has no answer from the gateway yet`, {
      attempt: state.attempt,
    });
  if (state.status !== 'failed') return alreadyAuthorized(state);
  if (attempt <= state.attempt)
    return reject('StaleAttempt', `attempt ${state.attempt} was already made`, {
      attempt,
      lastAttempt: state.attempt,
    });
  if (!sameMoney(amount, state.amount))
    return reject('AmountMismatch', 'a new attempt must ask for the same amount', {
      expected: state.amount,
      amount,
    });
  return requested;
};

/** A late success after a recorded failure is still money taken: it is recorded, to be voided or refunded. */
export const recordAuthorization = (command: RecordAuthorization, state: PaymentState): Decision => {
  const parsed = recordAuthorizationData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, gatewayRef, amount, at } = parsed.data;
  const found = requestedPayment(state, orderId);
  if (isLeft(found)) return found;
  const payment = found.right;
  if (payment.status !== 'requested' && payment.status !== 'failed')
    return payment.gatewayRef === gatewayRef ? nothingHappens : alreadyAuthorized(payment);
  if (!sameMoney(amount, payment.amount))
    return reject('AmountMismatch', 'the gateway authorized another amount than requested', {
      expected: payment.amount,
      amount,
    });
  return right([{ type: 'PaymentAuthorized', data: { orderId, gatewayRef, amount, at } }]);
};

export const recordPaymentFailure = (command: RecordPaymentFailure, state: PaymentState): Decision => {
  const parsed = recordPaymentFailureData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, reason, at } = parsed.data;
  const found = requestedPayment(state, orderId);
  if (isLeft(found)) return found;
  const payment = found.right;
  if (payment.status === 'failed') return nothingHappens;
  if (payment.status !== 'requested') return alreadyAuthorized(payment);
  return right([{ type: 'PaymentFailed', data: { orderId, attempt: payment.attempt, reason, at } }]);
};

export const recordCapture = (command: RecordCapture, state: PaymentState): Decision => {
  const parsed = recordCaptureData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, at } = parsed.data;
  const found = requestedPayment(state, orderId);
  if (isLeft(found)) return found;
  const payment = found.right;
  switch (payment.status) {
    case 'captured':
    case 'refunded':
      return nothingHappens;
    case 'voided':
      return reject('PaymentAlreadyVoided', `the payment of order ${orderId} was voided`);
    case 'requested':
    case 'failed':
      return reject('PaymentNotAuthorized', `the payment of order ${orderId} is ${payment.status}`, {
        status: payment.status,
      });
    case 'authorized':
      return right([
        {
          type: 'PaymentCaptured',
          data: { orderId, gatewayRef: payment.gatewayRef ?? '', amount: payment.amount, at },
        },
      ]);
  }
};

/** Releases an authorization that was never captured: the customer is not charged at all. */
export const recordVoid = (command: RecordVoid, state: PaymentState): Decision => {
  const parsed = recordVoidData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, reason, at } = parsed.data;
  const found = requestedPayment(state, orderId);
  if (isLeft(found)) return found;
  const payment = found.right;
  switch (payment.status) {
    case 'voided':
      return nothingHappens;
    case 'captured':
    case 'refunded':
      return reject(
        'PaymentAlreadyCaptured',
        `the payment of order ${orderId} was captured: refund it instead`,
      );
    case 'requested':
    case 'failed':
      return reject('PaymentNotAuthorized', `the payment of order ${orderId} is ${payment.status}`, {
        status: payment.status,
      });
    case 'authorized':
      return right([
        { type: 'PaymentVoided', data: { orderId, gatewayRef: payment.gatewayRef ?? '', reason, at } },
      ]);
  }
};

/** Money the gateway gave back, never more than was captured; an order's refund is recorded once. */
export const recordRefund = (command: RecordRefund, state: PaymentState): Decision => {
  const parsed = recordRefundData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { orderId, amount, refundId, at } = parsed.data;
  const found = requestedPayment(state, orderId);
  if (isLeft(found)) return found;
  const payment = found.right;
  if (refundId !== undefined && payment.refundIds.includes(refundId)) return nothingHappens;
  if (payment.status !== 'captured' && payment.status !== 'refunded')
    return reject('PaymentNotCaptured', `the payment of order ${orderId} is ${payment.status}`, {
      status: payment.status,
    });
  if (amount.currency !== payment.amount.currency)
    return reject('CurrencyMismatch', `the payment was in ${payment.amount.currency}`, {
      expected: payment.amount.currency,
      actual: amount.currency,
    });
  const refundable = payment.amount.amount - payment.refundedAmount;
  if (amount.amount > refundable)
    return reject('RefundExceedsCapture', `only ${refundable} minor units are left to refund`, {
      requested: amount.amount,
      refundable,
    });
  return right([
    {
      type: 'PaymentRefunded',
      data: { orderId, amount, at, ...(refundId === undefined ? {} : { refundId }) },
    },
  ]);
};

export const decide = (command: PaymentCommand, state: PaymentState): Decision => {
  switch (command.type) {
    case 'RequestPayment':
      return requestPayment(command, state);
    case 'RecordAuthorization':
      return recordAuthorization(command, state);
    case 'RecordPaymentFailure':
      return recordPaymentFailure(command, state);
    case 'RecordCapture':
      return recordCapture(command, state);
    case 'RecordVoid':
      return recordVoid(command, state);
    case 'RecordRefund':
      return recordRefund(command, state);
    default:
      return unknownCommand(command);
  }
};

/** Unreachable for typed callers; a command decoded from JSON can still carry any type. */
const unknownCommand = (command: never): Decision =>
  reject('InvalidCommandData', `unknown payment command ${String((command as { type?: unknown }).type)}`);
