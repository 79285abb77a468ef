import type { z } from 'zod';
import type { DomainError } from '../decider.ts';

export type InventoryErrorCode =
  | 'InvalidCommandData'
  | 'SkuMismatch'
  | 'InsufficientStock'
  | 'AdjustmentBelowReserved'
  | 'StockTooLarge'
  | 'ReservationQuantityMismatch'
  | 'ReservationEnded'
  | 'ReservationNotFound'
  | 'ReservationAlreadyCommitted'
  | 'ReservationNotCommitted';

export type InventoryError = DomainError<InventoryErrorCode>;

export const inventoryError = (
  code: InventoryErrorCode,
  message: string,
  details?: Record<string, unknown>,
): InventoryError => (details === undefined ? { code, message } : { code, message, details });

/** Names the fields that failed, never their values (a value could be something we must not log). */
export const invalidCommandData = (error: z.ZodError): InventoryError => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return inventoryError(
    'InvalidCommandData',
    `invalid command data: ${fields.map((f) => f.field).join(', ')}`,
    {
      fields,
    },
  );
};
