import type { Money } from '../money.ts';
import type { PaymentEvent } from './events.ts';

/** `captured` also covers a partial refund; `refunded` means every captured unit went back. */
export type PaymentStatus = 'requested' | 'authorized' | 'failed' | 'captured' | 'voided' | 'refunded';

export type Payment = Readonly<{
  status: PaymentStatus;
  orderId: string;
  amount: Money;
  paymentMethod: string;
  attempt: number;
  idempotencyKey: string;
  /** Every key ever sent to the gateway for this order: a key is never reused for another attempt. */
  usedIdempotencyKeys: readonly string[];
  gatewayRef: string | null;
  failureReason: string | null;
  refundedAmount: number;
  /** The order's refunds recorded here: each is recorded once, however often the process retries. */
  refundIds: readonly string[];
  updatedAt: string;
}>;

export type PaymentState = Readonly<{ status: 'not_requested' }> | Payment;

export const initialState = (): PaymentState => ({ status: 'not_requested' });

export const evolve = (state: PaymentState, event: PaymentEvent): PaymentState => {
  if (event.type === 'PaymentRequested') {
    const { orderId, amount, paymentMethod, idempotencyKey, attempt, at } = event.data;
    const usedKeys = state.status === 'not_requested' ? [] : state.usedIdempotencyKeys;
    return {
      status: 'requested',
      orderId,
      amount,
      paymentMethod,
      attempt,
      idempotencyKey,
      usedIdempotencyKeys: [...usedKeys, idempotencyKey],
      gatewayRef: null,
      failureReason: null,
      refundedAmount: 0,
      refundIds: [],
      updatedAt: at,
    };
  }
  if (state.status === 'not_requested') return state;
  switch (event.type) {
    case 'PaymentAuthorized':
      return { ...state, status: 'authorized', gatewayRef: event.data.gatewayRef, updatedAt: event.data.at };
    case 'PaymentFailed':
      return { ...state, status: 'failed', failureReason: event.data.reason, updatedAt: event.data.at };
    case 'PaymentCaptured':
      return { ...state, status: 'captured', updatedAt: event.data.at };
    case 'PaymentVoided':
      return { ...state, status: 'voided', updatedAt: event.data.at };
    case 'PaymentRefunded': {
      const refundedAmount = state.refundedAmount + event.data.amount.amount;
      const status = refundedAmount >= state.amount.amount ? 'refunded' : state.status;
      const { refundId } = event.data;
      const refundIds = refundId === undefined ? state.refundIds : [...state.refundIds, refundId];
      return { ...state, status, refundedAmount, refundIds, updatedAt: event.data.at };
    }
  }
};
