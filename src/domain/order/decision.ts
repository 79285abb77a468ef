import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { orderError, type OrderError, type OrderErrorCode } from './errors.ts';
import type { OrderEvent } from './events.ts';
import type { OrderState, PlacedOrder } from './state.ts';

/** What the order's deciders answer: the events to record, or the rule the command broke. */
export type Decision = Either<OrderError, readonly OrderEvent[]>;

// Frozen: one shared empty answer that no caller can append to.
export const nothingHappens: Decision = right(Object.freeze([]));

export const reject = (code: OrderErrorCode, message: string, details?: Record<string, unknown>): Decision =>
  left(orderError(code, message, details));

export const existingOrder = (state: OrderState, orderId: string): Either<OrderError, PlacedOrder> => {
  if (state.status === 'not_placed')
    return left(orderError('OrderNotFound', `no order ${orderId}`, { orderId }));
  if (state.orderId !== orderId)
    return left(orderError('OrderIdMismatch', `this stream holds order ${state.orderId}`, { orderId }));
  return right(state);
};
