import type { z } from 'zod';
import type { DomainError } from '../decider.ts';

export type ProductErrorCode =
  'InvalidCommandData' | 'SkuMismatch' | 'ProductAlreadyListed' | 'ProductNotListed' | 'CurrencyMismatch';

export type ProductError = DomainError<ProductErrorCode>;

export const productError = (
  code: ProductErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ProductError => (details === undefined ? { code, message } : { code, message, details });

/** Names the fields that failed, never their values (a value could be something we must not log). */
export const invalidCommandData = (error: z.ZodError): ProductError => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return productError(
    'InvalidCommandData',
    `invalid command data: ${fields.map((f) => f.field).join(', ')}`,
    {
      fields,
    },
  );
};
