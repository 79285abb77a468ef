import type { InventoryState, Reservation } from './state.ts';

/** Units a new order can still reserve. */
export const availableToSell = (state: Pick<InventoryState, 'onHand' | 'reserved'>): number =>
  state.onHand - state.reserved;

export const reservationOf = (state: InventoryState, reservationId: string): Reservation | undefined =>
  state.reservations.get(reservationId);

/** Active reservations whose time is up at `now`, oldest expiry first. */
export const dueReservations = (state: InventoryState, now: string): Array<[string, Reservation]> =>
  [...state.reservations.entries()]
    .filter(([, r]) => r.status === 'active' && Date.parse(r.expiresAt) <= Date.parse(now))
    .sort(([idA, a], [idB, b]) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || (idA < idB ? -1 : 1));
