import { z } from 'zod';
import { id, quantity, instant, reason } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';

export const receiveStockData = z.object({ sku: id, quantity });
export const adjustStockData = z.object({
  sku: id,
  delta: z.int().refine((delta) => delta !== 0, 'must not be zero'),
  reason,
});
export const reserveStockData = z.object({
  sku: id,
  reservationId: id,
  quantity,
  expiresAt: instant,
  now: instant,
});
export const commitReservationData = z.object({ reservationId: id, now: instant });
export const releaseReservationData = z.object({ reservationId: id, reason, now: instant });
export const expireReservationsData = z.object({ now: instant });
export const returnReservationData = z.object({ reservationId: id, reason, now: instant });

export type ReceiveStock = DomainCommand<'ReceiveStock', z.infer<typeof receiveStockData>>;
export type AdjustStock = DomainCommand<'AdjustStock', z.infer<typeof adjustStockData>>;
/** `reservationId` is the order id: one reservation per order and SKU. */
export type ReserveStock = DomainCommand<'ReserveStock', z.infer<typeof reserveStockData>>;
export type CommitReservation = DomainCommand<'CommitReservation', z.infer<typeof commitReservationData>>;
export type ReleaseReservation = DomainCommand<'ReleaseReservation', z.infer<typeof releaseReservationData>>;
export type ExpireReservations = DomainCommand<'ExpireReservations', z.infer<typeof expireReservationsData>>;
/** Puts committed units back on hand: the order they were committed to was cancelled after all. */
export type ReturnReservation = DomainCommand<'ReturnReservation', z.infer<typeof returnReservationData>>;

export type InventoryCommand =
  | ReceiveStock
  | AdjustStock
  | ReserveStock
  | CommitReservation
  | ReleaseReservation
  | ExpireReservations
  | ReturnReservation;
