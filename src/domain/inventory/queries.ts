import type { InventoryState, Reservation } from './state.ts';

/** Units a new order can still reserve. */
export const availableToSell = (state: Pick<InventoryState, 'onHand' | 'reserved'>): number =>
  state.onHand - state.reserved;

/** Own entries only: an order id such as "constructor" must not find Object.prototype's. */
export const reservationOf = (state: InventoryState, reservationId: string): Reservation | undefined =>
  Object.hasOwn(state.reservations, reservationId) ? state.reservations[reservationId] : undefined;

/** Active reservations whose time is up at `now`, oldest expiry first. */
export const dueReservations = (state: InventoryState, now: string): Array<[string, Reservation]> =>
  Object.entries(state.reservations)
    .filter(([, r]) => r.status === 'active' && Date.parse(r.expiresAt) <= Date.parse(now))
    .sort(([idA, a], [idB, b]) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || (idA < idB ? -1 : 1));
