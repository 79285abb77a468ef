import type { z } from 'zod';
import type { DomainError } from '../decider.ts';

export type CartErrorCode =
  | 'InvalidCommandData'
  | 'CartIdMismatch'
  | 'CartCheckedOut'
  | 'CartEmpty'
  | 'ItemNotInCart'
  | 'QuantityTooLarge'
  | 'QuantityUnavailable';

export type CartError = DomainError<CartErrorCode>;

export const cartError = (
  code: CartErrorCode,
  message: string,
  details?: Record<string, unknown>,
): CartError => (details === undefined ? { code, message } : { code, message, details });

/** Names the fields that failed, never their values (a value could be something we must not log). */
export const invalidCommandData = (error: z.ZodError): CartError => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return cartError('InvalidCommandData', `invalid command data: ${fields.map((f) => f.field).join(', ')}`, {
    fields,
  });
};
