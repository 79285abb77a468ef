import type { InventoryEvent } from './events.ts';

export type ReservationStatus = 'active' | 'committed' | 'released' | 'expired' | 'returned';

export type Reservation = Readonly<{ quantity: number; expiresAt: string; status: ReservationStatus }>;

/**
 * Plain JSON, so it can be cached and snapshotted. Ended reservations stay in `reservations`:
 * they are what makes a repeated commit or release a no-op instead of a second change.
 */
export type InventoryState = Readonly<{
  /** '' until the stream's first event names the SKU. */
  sku: string;
  onHand: number;
  reserved: number;
  reservations: Readonly<Record<string, Reservation>>;
}>;

export const initialState = (): InventoryState => ({ sku: '', onHand: 0, reserved: 0, reservations: {} });

const endReservation = (
  state: InventoryState,
  reservationId: string,
  status: Exclude<ReservationStatus, 'active'>,
): InventoryState['reservations'] => {
  const reservation = Object.hasOwn(state.reservations, reservationId)
    ? state.reservations[reservationId]
    : undefined;
  if (reservation === undefined) return state.reservations;
  return { ...state.reservations, [reservationId]: { ...reservation, status } };
};

export const evolve = (state: InventoryState, event: InventoryEvent): InventoryState => {
  switch (event.type) {
    case 'StockReceived':
      return { ...state, sku: event.data.sku, onHand: state.onHand + event.data.quantity };
    case 'StockAdjusted':
      return { ...state, sku: event.data.sku, onHand: state.onHand + event.data.delta };
    case 'StockReserved': {
      const { sku, reservationId, quantity, expiresAt } = event.data;
      return {
        ...state,
        sku,
        reserved: state.reserved + quantity,
        reservations: { ...state.reservations, [reservationId]: { quantity, expiresAt, status: 'active' } },
      };
    }
    case 'ReservationCommitted':
      return {
        ...state,
        onHand: state.onHand - event.data.quantity,
        reserved: state.reserved - event.data.quantity,
        reservations: endReservation(state, event.data.reservationId, 'committed'),
      };
    case 'ReservationReleased':
      return {
        ...state,
        reserved: state.reserved - event.data.quantity,
        reservations: endReservation(state, event.data.reservationId, 'released'),
      };
    case 'ReservationReturned':
      return {
        ...state,
        onHand: state.onHand + event.data.quantity,
        reservations: endReservation(state, event.data.reservationId, 'returned'),
      };
    case 'ReservationExpired':
      return {
        ...state,
        reserved: state.reserved - event.data.quantity,
        reservations: endReservation(state, event.data.reservationId, 'expired'),
      };
  }
};

/**
 * What one event does to on hand and reserved: the part of `evolve` that stock levels are made of
 * (read models add these up instead of folding whole states).
 */
export const stockChange = (event: InventoryEvent): Readonly<{ onHand: number; reserved: number }> => {
  switch (event.type) {
    case 'StockReceived':
      return { onHand: event.data.quantity, reserved: 0 };
    case 'StockAdjusted':
      return { onHand: event.data.delta, reserved: 0 };
    case 'StockReserved':
      return { onHand: 0, reserved: event.data.quantity };
    case 'ReservationCommitted':
      return { onHand: -event.data.quantity, reserved: -event.data.quantity };
    case 'ReservationReleased':
    case 'ReservationExpired':
      return { onHand: 0, reserved: -event.data.quantity };
    case 'ReservationReturned':
      return { onHand: event.data.quantity, reserved: 0 };
  }
};
