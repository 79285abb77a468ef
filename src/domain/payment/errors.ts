import type { z } from 'zod';
import type { DomainError } from '../decider.ts';

export type PaymentErrorCode =
  | 'InvalidCommandData'
  | 'CardDataNotAllowed'
  | 'OrderIdMismatch'
  | 'PaymentNotRequested'
  | 'PaymentInProgress'
  | 'PaymentAlreadyAuthorized'
  | 'IdempotencyKeyReused'
  | 'StaleAttempt'
  | 'AmountMismatch'
  | 'CurrencyMismatch'
  | 'PaymentNotAuthorized'
  | 'PaymentAlreadyVoided'
  | 'PaymentAlreadyCaptured'
  | 'PaymentNotCaptured'
  | 'RefundExceedsCapture';

export type PaymentError = DomainError<PaymentErrorCode>;

export const paymentError = (
  code: PaymentErrorCode,
  message: string,
  details?: Record<string, unknown>,
): PaymentError => (details === undefined ? { code, message } : { code, message, details });

/** Names the fields that failed, never their values (a value could be card data we must not log). */
export const invalidCommandData = (error: z.ZodError): PaymentError => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return paymentError(
    'InvalidCommandData',
    `invalid command data: ${fields.map((f) => f.field).join(', ')}`,
    {
      fields,
    },
  );
};
