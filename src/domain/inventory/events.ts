import type { DomainEvent } from '../decider.ts';

export type StockReceived = DomainEvent<'StockReceived', { sku: string; quantity: number }>;
/** `delta` is signed: a stock count, damage or shrinkage found by the warehouse. */
export type StockAdjusted = DomainEvent<'StockAdjusted', { sku: string; delta: number; reason: string }>;
export type StockReserved = DomainEvent<
  'StockReserved',
  { sku: string; reservationId: string; quantity: number; expiresAt: string; reservedAt: string }
>;
/** The units left the warehouse's hands: on hand and reserved both drop by `quantity`. */
export type ReservationCommitted = DomainEvent<
  'ReservationCommitted',
  { sku: string; reservationId: string; quantity: number; committedAt: string }
>;
export type ReservationReleased = DomainEvent<
  'ReservationReleased',
  { sku: string; reservationId: string; quantity: number; reason: string; releasedAt: string }
>;
export type ReservationExpired = DomainEvent<
  'ReservationExpired',
  { sku: string; reservationId: string; quantity: number; expiredAt: string }
>;

/** Committed units came back on hand because their order was cancelled before it shipped. */
export type ReservationReturned = DomainEvent<
  'ReservationReturned',
  { sku: string; reservationId: string; quantity: number; reason: string; returnedAt: string }
>;

export type InventoryEvent =
  | StockReceived
  | StockAdjusted
  | StockReserved
  | ReservationCommitted
  | ReservationReleased
  | ReservationExpired
  | ReservationReturned;
