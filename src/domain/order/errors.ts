import type { z } from 'zod';
import { invalidCommandData as sharedInvalidCommandData } from '../command-data.ts';
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
  | 'OrderAlreadyScreened'
  | 'ScreenedTooLate'
  | 'OrderNotInReview'
  | 'OrderNotRefundable'
  | 'OrderNotShippable'
  | 'OrderNotCancellable'
  | 'OrderNotReturnable'
  | 'ShipmentExceedsOrder'
  | 'ShipmentIdReused'
  | 'ShipmentNotFound'
  | 'ReturnExceedsDelivered'
  | 'ReturnWindowClosed'
  | 'ReturnIdReused'
  | 'ReturnNotFound'
  | 'ReturnNotReceived'
  | 'ReturnAlreadyReceived'
  | 'ReceiptExceedsReturn'
  | 'StockNotHeld'
  | 'RefundExceedsPaid'
  | 'RefundIdReused'
  | 'RefundNotFound'
  | 'RefundAlreadySettled'
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

/** Command data that does not parse (see ../command-data.ts). */
export const invalidCommandData = (error: z.ZodError): OrderError => sharedInvalidCommandData(error);
