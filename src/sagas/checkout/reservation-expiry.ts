import { isLeft } from 'fp-ts/lib/Either.js';
import type { CommandHandlers } from '../../commands/index.ts';
import { streams } from '../../commands/index.ts';
import type { SqlClient } from '../../db/sql-client.ts';
import type { SqlProjection } from '../../projections/runtime.ts';

type ReservationEvent = { sku: string; reservationId: string; expiresAt?: string };

/** Which reservations still hold stock, and until when. */
export const activeReservationsProjection: SqlProjection = {
  name: 'active-reservations',
  eventTypes: new Set(['StockReserved', 'ReservationCommitted', 'ReservationReleased', 'ReservationExpired']),
  async apply(tx, events) {
    for (const event of events) {
      const { sku, reservationId, expiresAt } = event.data as ReservationEvent;
      if (event.type === 'StockReserved')
        await tx.query(
          `INSERT INTO active_reservations (sku, reservation_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (sku, reservation_id) DO NOTHING`,
          [sku, reservationId, expiresAt],
        );
      else
        await tx.query(`DELETE FROM active_reservations WHERE sku = $1 AND reservation_id = $2`, [
          sku,
          reservationId,
        ]);
    }
  },
};

/**
 * The timer that gives stock back when an order was not confirmed in time: every SKU with a due
 * reservation gets an ExpireReservations command (the decider picks which reservations are due).
 */
export async function expireDueReservations(db: SqlClient, commands: CommandHandlers, now = new Date()) {
  const due = await db.query<{ sku: string }>(
    `SELECT DISTINCT sku FROM active_reservations WHERE expires_at <= $1 LIMIT 500`,
    [now.toISOString()],
  );
  let expired = 0;
  for (const { sku } of due) {
    const result = await commands.inventory.handle(
      streams.inventory(sku),
      { type: 'ExpireReservations', data: { now: now.toISOString() } },
      { actor: { id: 'reservation-timer', role: 'system' }, correlationId: `expiry-${now.getTime()}` },
    );
    if (!isLeft(result)) expired += result.right.events.length;
  }
  return expired;
}
