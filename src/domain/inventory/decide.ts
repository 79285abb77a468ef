import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  adjustStockData,
  commitReservationData,
  expireReservationsData,
  receiveStockData,
  releaseReservationData,
  reserveStockData,
  returnReservationData,
  type AdjustStock,
  type CommitReservation,
  type ExpireReservations,
  type InventoryCommand,
  type ReceiveStock,
  type ReleaseReservation,
  type ReserveStock,
  type ReturnReservation,
} from './commands.ts';
import {
  inventoryError,
  invalidCommandData,
  type InventoryError,
  type InventoryErrorCode,
} from './errors.ts';
import type { InventoryEvent } from './events.ts';
import { availableToSell, dueReservations, reservationOf } from './queries.ts';
import type { InventoryState } from './state.ts';

type Decision = Either<InventoryError, readonly InventoryEvent[]>;

// Frozen: one shared empty answer that no caller can append to.
const nothingHappens: Decision = right(Object.freeze([]));
const reject = (code: InventoryErrorCode, message: string, details?: Record<string, unknown>): Decision =>
  left(inventoryError(code, message, details));

/** A command naming another SKU than the stream holds was routed to the wrong stream. */
const otherSku = (state: InventoryState, sku: string): Decision | undefined =>
  state.sku !== '' && state.sku !== sku
    ? reject('SkuMismatch', `this stream holds ${state.sku}, not ${sku}`, { streamSku: state.sku, sku })
    : undefined;

export const receiveStock = (command: ReceiveStock, state: InventoryState): Decision => {
  const parsed = receiveStockData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, quantity } = parsed.data;
  const wrongStream = otherSku(state, sku);
  if (wrongStream) return wrongStream;
  if (!Number.isSafeInteger(state.onHand + quantity))
    return reject('StockTooLarge', 'on-hand stock would be too large to count exactly', { quantity });
  return right([{ type: 'StockReceived', data: { sku, quantity } }]);
};

export const adjustStock = (command: AdjustStock, state: InventoryState): Decision => {
  const parsed = adjustStockData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, delta, reason } = parsed.data;
  const wrongStream = otherSku(state, sku);
  if (wrongStream) return wrongStream;
  if (state.onHand + delta < state.reserved)
    return reject('AdjustmentBelowReserved', 'on-hand stock cannot drop below what is reserved for orders', {
      delta,
      onHand: state.onHand,
      reserved: state.reserved,
    });
  if (!Number.isSafeInteger(state.onHand + delta))
    return reject('StockTooLarge', 'on-hand stock would be too large to count exactly', { delta });
  return right([{ type: 'StockAdjusted', data: { sku, delta, reason } }]);
};

export const reserveStock = (command: ReserveStock, state: InventoryState): Decision => {
  const parsed = reserveStockData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { sku, reservationId, quantity, expiresAt, now } = parsed.data;
  const wrongStream = otherSku(state, sku);
  if (wrongStream) return wrongStream;

  const existing = reservationOf(state, reservationId);
  if (existing !== undefined) {
    if (existing.status !== 'active')
      return reject('ReservationEnded', `reservation ${reservationId} is already ${existing.status}`, {
        reservationId,
        status: existing.status,
      });
    if (existing.quantity === quantity) return nothingHappens;
    return reject('ReservationQuantityMismatch', `reservation ${reservationId} holds another quantity`, {
      reservationId,
      reserved: existing.quantity,
      requested: quantity,
    });
  }
  if (Date.parse(expiresAt) <= Date.parse(now))
    return reject('InvalidCommandData', 'a reservation must expire after it is made', {
      fields: [{ field: 'expiresAt', problem: 'must be after now' }],
    });
  const available = availableToSell(state);
  if (quantity > available)
    return reject('InsufficientStock', `only ${available} available`, { requested: quantity, available });
  return right([
    { type: 'StockReserved', data: { sku, reservationId, quantity, expiresAt, reservedAt: now } },
  ]);
};

export const commitReservation = (command: CommitReservation, state: InventoryState): Decision => {
  const parsed = commitReservationData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { reservationId, now } = parsed.data;
  const reservation = reservationOf(state, reservationId);
  if (reservation === undefined)
    return reject('ReservationNotFound', `no reservation ${reservationId}`, { reservationId });
  switch (reservation.status) {
    case 'committed':
      return nothingHappens;
    case 'released':
    case 'returned':
    case 'expired':
      return reject('ReservationEnded', `reservation ${reservationId} is already ${reservation.status}`, {
        reservationId,
        status: reservation.status,
      });
    case 'active':
      // Committing after expiresAt is allowed while still active: the units are still held for this order.
      return right([
        {
          type: 'ReservationCommitted',
          data: { sku: state.sku, reservationId, quantity: reservation.quantity, committedAt: now },
        },
      ]);
  }
};

/** Compensation must always be able to run: an unknown or already ended reservation is a no-op. */
export const releaseReservation = (command: ReleaseReservation, state: InventoryState): Decision => {
  const parsed = releaseReservationData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { reservationId, reason, now } = parsed.data;
  const reservation = reservationOf(state, reservationId);
  if (reservation === undefined) return nothingHappens;
  switch (reservation.status) {
    case 'released':
    case 'expired':
    case 'returned':
      return nothingHappens;
    case 'committed':
      return reject('ReservationAlreadyCommitted', `reservation ${reservationId} is committed`, {
        reservationId,
      });
    case 'active':
      return right([
        {
          type: 'ReservationReleased',
          data: { sku: state.sku, reservationId, quantity: reservation.quantity, reason, releasedAt: now },
        },
      ]);
  }
};

export const expireReservations = (command: ExpireReservations, state: InventoryState): Decision => {
  const parsed = expireReservationsData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { now } = parsed.data;
  return right(
    dueReservations(state, now).map(([reservationId, reservation]) => ({
      type: 'ReservationExpired',
      data: { sku: state.sku, reservationId, quantity: reservation.quantity, expiredAt: now },
    })),
  );
};

/** Only committed units can come back; returning twice is a no-op. */
export const returnReservation = (command: ReturnReservation, state: InventoryState): Decision => {
  const parsed = returnReservationData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { reservationId, reason, now } = parsed.data;
  const reservation = reservationOf(state, reservationId);
  if (reservation === undefined)
    return reject('ReservationNotFound', `no reservation ${reservationId}`, { reservationId });
  if (reservation.status === 'returned') return nothingHappens;
  if (reservation.status !== 'committed')
    return reject('ReservationNotCommitted', `reservation ${reservationId} is ${reservation.status}`, {
      reservationId,
      status: reservation.status,
    });
  return right([
    {
      type: 'ReservationReturned',
      data: { sku: state.sku, reservationId, quantity: reservation.quantity, reason, returnedAt: now },
    },
  ]);
};

export const decide = (command: InventoryCommand, state: InventoryState): Decision => {
  switch (command.type) {
    case 'ReceiveStock':
      return receiveStock(command, state);
    case 'AdjustStock':
      return adjustStock(command, state);
    case 'ReserveStock':
      return reserveStock(command, state);
    case 'CommitReservation':
      return commitReservation(command, state);
    case 'ReleaseReservation':
      return releaseReservation(command, state);
    case 'ExpireReservations':
      return expireReservations(command, state);
    case 'ReturnReservation':
      return returnReservation(command, state);
    default:
      return unknownCommand(command);
  }
};

/** Unreachable for typed callers; a command decoded from JSON can still carry any type. */
const unknownCommand = (command: never): Decision =>
  reject('InvalidCommandData', `unknown inventory command ${String((command as { type?: unknown }).type)}`);
