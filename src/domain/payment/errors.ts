import type { z } from 'zod';
import { invalidCommandData as sharedInvalidCommandData } from '../command-data.ts';
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

/** Command data that does not parse (see ../command-data.ts). */
export const invalidCommandData = (error: z.ZodError): PaymentError => sharedInvalidCommandData(error);
