import type { z } from 'zod';
import { invalidCommandData as sharedInvalidCommandData } from '../command-data.ts';
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

/** Command data that does not parse (see ../command-data.ts). */
export const invalidCommandData = (error: z.ZodError): CartError => sharedInvalidCommandData(error);
