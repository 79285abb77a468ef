import type { z } from 'zod';
import type { DomainError } from '../decider.ts';

export type OrderErrorCode =
  | 'InvalidCommandData'
  | 'CardDataNotAllowed'
  | 'EmptyOrder'
  | 'DuplicateOrderLine'
  | 'CurrencyMismatch'
  | 'TotalTooLarge'
  | 'OrderAlreadyPlaced'
  | 'OrderNotFound'
  | 'OrderIdMismatch'
  | 'OrderNotPending'
  | 'OrderNotConfirmed'
  | 'OrderNotRefundable'
  | 'UnknownOrderLine'
  | 'LineQuantityMismatch'
  | 'PaymentAmountMismatch'
  | 'PaymentAlreadyAuthorized'
  | 'LinesNotReserved'
  | 'StockRejected'
  | 'PaymentNotAuthorized';

export type OrderError = DomainError<OrderErrorCode>;

export const orderError = (
  code: OrderErrorCode,
  message: string,
  details?: Record<string, unknown>,
): OrderError => (details === undefined ? { code, message } : { code, message, details });

/** Names the fields that failed, never their values (a value could be something we must not log). */
export const invalidCommandData = (error: z.ZodError): OrderError => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return orderError('InvalidCommandData', `invalid command data: ${fields.map((f) => f.field).join(', ')}`, {
    fields,
  });
};
