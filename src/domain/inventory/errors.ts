import type { z } from 'zod';
import { invalidCommandData as sharedInvalidCommandData } from '../command-data.ts';
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

/** Command data that does not parse (see ../command-data.ts). */
export const invalidCommandData = (error: z.ZodError): InventoryError => sharedInvalidCommandData(error);
