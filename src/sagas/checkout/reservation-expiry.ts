import { isLeft } from 'fp-ts/lib/Either.js';
import type { CommandHandlers } from '../../commands/index.ts';
import { streams } from '../../commands/index.ts';
import type { SqlClient } from '../../db/sql-client.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { reservationEventIds, type StreamReader } from './reservation-events.ts';

type ReservationEvent = { sku: string; reservationId: string; expiresAt?: string };

/** Which reservations still hold stock, and until when. */
export const activeReservationsProjection: SqlProjection = {
  name: 'active-reservations',
  // Derived from inventory events alone (no leases): the expiry timer finds the same rows after a swap.
  rebuild: { tables: ['active_reservations'] },
  eventTypes: new Set(['StockReserved', 'ReservationCommitted', 'ReservationReleased', 'ReservationExpired']),
  readsThenWrites: true,
  async apply(tx, events) {
    // The batch folded into two statements with the same outcome as one statement per event: a
    // reservation whose last event removes it is deleted; one reserved last is inserted (the first
    // insert since the row was last removed wins), after deleting a row removed earlier in the batch.
    const final = new Map<
      string,
      { sku: string; reservationId: string; insert?: string; deleted: boolean }
    >();
    for (const event of events) {
      const { sku, reservationId, expiresAt } = event.data as ReservationEvent;
      const key = JSON.stringify([sku, reservationId]);
      const known = final.get(key);
      if (event.type !== 'StockReserved') final.set(key, { sku, reservationId, deleted: true });
      else if (!known) final.set(key, { sku, reservationId, insert: expiresAt, deleted: false });
      else if (known.insert === undefined) known.insert = expiresAt; // re-reserved after its removal
    }
    const rows = [...final.values()];
    const deleted = rows.filter((r) => r.deleted);
    const inserted = rows.filter((r) => r.insert !== undefined);
    if (deleted.length > 0)
      await tx.query(
        `DELETE FROM active_reservations a USING unnest($1::text[], $2::text[]) AS d(sku, reservation_id)
          WHERE a.sku = d.sku AND a.reservation_id = d.reservation_id`,
        [deleted.map((r) => r.sku), deleted.map((r) => r.reservationId)],
      );
    if (inserted.length > 0)
      await tx.query(
        `INSERT INTO active_reservations (sku, reservation_id, expires_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT (sku, reservation_id) DO NOTHING`,
        [inserted.map((r) => r.sku), inserted.map((r) => r.reservationId), inserted.map((r) => r.insert)],
      );
  },
};

export type ReservationTimerDependencies = Readonly<{
  db: SqlClient;
  store: StreamReader;
  commands: CommandHandlers;
}>;

/**
 * The timer that gives stock back when an order was not confirmed in time: each due reservation,
 * oldest first, gets an ExpireReservations command as of its own expiry, naming its `StockReserved` as
 * the cause (reservations of one SKU due at the same instant expire together, under the first's cause).
 */
export async function expireDueReservations(
  { db, store, commands }: ReservationTimerDependencies,
  now = new Date(),
) {
  const due = await db.query<{ sku: string; reservation_id: string; expires_at: Date | string }>(
    `SELECT sku, reservation_id, expires_at FROM active_reservations WHERE expires_at <= $1
      ORDER BY expires_at, sku, reservation_id LIMIT 500`,
    [now.toISOString()],
  );
  const bySku = new Map<string, typeof due>();
  for (const row of due) bySku.set(row.sku, [...(bySku.get(row.sku) ?? []), row]);
  let expired = 0;
  for (const [sku, rows] of bySku) {
    const reservedBy = await reservationEventIds(
      store,
      sku,
      rows.map((row) => row.reservation_id),
      { types: ['StockReserved'] },
    );
    for (const row of rows) {
      const result = await commands.inventory.handle(
        streams.inventory(sku),
        { type: 'ExpireReservations', data: { now: new Date(row.expires_at).toISOString() } },
        {
          actor: { id: 'reservation-timer', role: 'system' },
          correlationId: `expiry-${now.getTime()}`,
          causationId: reservedBy.get(row.reservation_id) ?? null,
          now,
          background: true,
        },
      );
      if (!isLeft(result)) expired += result.right.events.length;
    }
  }
  return expired;
}
