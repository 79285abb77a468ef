import type { z } from 'zod';
import { invalidCommandData as sharedInvalidCommandData } from '../command-data.ts';
import type { DomainError } from '../decider.ts';

export type ProductErrorCode =
  'InvalidCommandData' | 'SkuMismatch' | 'ProductAlreadyListed' | 'ProductNotListed' | 'CurrencyMismatch';

export type ProductError = DomainError<ProductErrorCode>;

export const productError = (
  code: ProductErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ProductError => (details === undefined ? { code, message } : { code, message, details });

/** Command data that does not parse (see ../command-data.ts). */
export const invalidCommandData = (error: z.ZodError): ProductError => sharedInvalidCommandData(error);
