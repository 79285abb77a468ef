import type { SqlClient } from '../../db/sql-client.ts';
import { inventoryStream, stockChange, type InventoryEvent } from '../../domain/inventory/index.ts';
import type { EventStore } from '../../eventstore/event-store.ts';

export type StockAt = Readonly<{ onHand: number; reserved: number }>;

type Row = {
  complete_through: string | number;
  held_beyond: (string | number)[];
  on_hand_total: string | number | null;
  reserved_total: string | number | null;
};

/**
 * The SKU's on hand and reserved as recorded at `asOf`: the fold of the events of its inventory
 * stream recorded at or before then (at millisecond precision, as events are read), or undefined if
 * none was. One indexed probe for the totals after the last such event, plus the stream's events the
 * read model does not hold yet (usually none), so that a lagging or stopped projection never makes
 * the answer wrong.
 */
export async function stockAsOf(
  { db, store }: Readonly<{ db: SqlClient; store: Pick<EventStore, 'readStream'> }>,
  sku: string,
  asOf: string,
): Promise<StockAt | undefined> {
  const until = Date.parse(asOf);
  // One statement, so the totals, the versions held and `complete_through` are of one snapshot.
  const [row] = await db.query<Row>(
    `SELECT s.complete_through,
            ARRAY(SELECT h.stream_version FROM stock_history h
                   WHERE h.sku = s.sku AND h.stream_version > s.complete_through) AS held_beyond,
            t.on_hand_total, t.reserved_total
       FROM stock_history_skus s
       LEFT JOIN LATERAL (
         SELECT h.on_hand_total, h.reserved_total FROM stock_history h
          WHERE h.sku = s.sku AND h.recorded_at <= to_timestamp($2::float8 / 1000)
          ORDER BY h.recorded_at DESC, h.stream_version DESC LIMIT 1) t ON true
      WHERE s.sku = $1`,
    [sku, until],
  );
  let recorded = row?.on_hand_total != null;
  let onHand = Number(row?.on_hand_total ?? 0);
  let reserved = Number(row?.reserved_total ?? 0);
  // Rows held beyond `complete_through` and recorded by `asOf` are in the totals already.
  const held = new Set((row?.held_beyond ?? []).map(Number));
  const unheld = await store.readStream(inventoryStream.id(sku), {
    fromVersion: Number(row?.complete_through ?? 0) + 1,
  });
  for (const event of unheld) {
    if (held.has(event.streamVersion) || Date.parse(event.recordedAt) > until) continue;
    const change = stockChange(event as unknown as InventoryEvent);
    onHand += change.onHand;
    reserved += change.reserved;
    recorded = true;
  }
  return recorded ? { onHand, reserved } : undefined;
}
