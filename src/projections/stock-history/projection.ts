import { INVENTORY_EVENT_TYPES } from '../../domain/event-types.ts';
import { inventoryStream, stockChange, type InventoryEvent } from '../../domain/inventory/index.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

/**
 * Writes the batch's rows with their totals, and recomputes the totals of every row of a touched SKU
 * that sorts after the earliest new one: nearly always none (the new rows come last), but an event
 * recorded earlier than rows already there (its transaction committed later) slots in before them.
 * Idempotent: a row written again is recomputed from the same deltas.
 */
const WRITE_ROWS = `
  WITH batch AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(sku text, stream_version bigint, recorded_at timestamptz,
                                                     on_hand_delta bigint, reserved_delta bigint)),
  earliest AS (
    SELECT DISTINCT ON (sku) sku, recorded_at, stream_version FROM batch
     ORDER BY sku, recorded_at, stream_version),
  before AS (
    SELECT e.*, coalesce(p.on_hand_total, 0) AS on_hand, coalesce(p.reserved_total, 0) AS reserved
      FROM earliest e
      LEFT JOIN LATERAL (
        SELECT h.on_hand_total, h.reserved_total FROM stock_history h
         WHERE h.sku = e.sku AND (h.recorded_at, h.stream_version) < (e.recorded_at, e.stream_version)
         ORDER BY h.recorded_at DESC, h.stream_version DESC LIMIT 1) p ON true),
  recomputed AS (
    SELECT * FROM batch
    UNION ALL
    -- OFFSET 0 keeps this a probe of the index per SKU (usually finding nothing), not a join the
    -- planner could make by scanning the whole table.
    SELECT h.* FROM earliest e CROSS JOIN LATERAL (
      SELECT h.sku, h.stream_version, h.recorded_at, h.on_hand_delta, h.reserved_delta FROM stock_history h
       WHERE h.sku = e.sku AND (h.recorded_at, h.stream_version) >= (e.recorded_at, e.stream_version)
      OFFSET 0) h
     WHERE NOT EXISTS (SELECT 1 FROM batch n WHERE n.sku = h.sku AND n.stream_version = h.stream_version))
  INSERT INTO stock_history AS h (sku, stream_version, recorded_at, on_hand_delta, reserved_delta,
                                  on_hand_total, reserved_total)
  SELECT r.sku, r.stream_version, r.recorded_at, r.on_hand_delta, r.reserved_delta,
         b.on_hand + sum(r.on_hand_delta) OVER running, b.reserved + sum(r.reserved_delta) OVER running
    FROM recomputed r JOIN before b USING (sku)
  WINDOW running AS (PARTITION BY r.sku ORDER BY r.recorded_at, r.stream_version
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ON CONFLICT (sku, stream_version) DO UPDATE
     SET on_hand_total = EXCLUDED.on_hand_total, reserved_total = EXCLUDED.reserved_total`;

/**
 * Moves each touched SKU's `complete_through` on over the versions now held without a gap: the rows
 * above it are few (this batch's, and any that arrived before a lower version still on its way).
 */
const ADVANCE_COMPLETE = `
  WITH touched AS (SELECT DISTINCT sku FROM jsonb_to_recordset($1::jsonb) AS r(sku text)),
  advanced AS (
    SELECT t.sku, coalesce(s.complete_through, 0) + run.length AS complete_through
      FROM touched t
      LEFT JOIN stock_history_skus s USING (sku)
      CROSS JOIN LATERAL (
        SELECT count(*) AS length
          FROM (SELECT h.stream_version - row_number() OVER (ORDER BY h.stream_version) AS below
                  FROM stock_history h
                 WHERE h.sku = t.sku AND h.stream_version > coalesce(s.complete_through, 0)) held
         WHERE held.below = coalesce(s.complete_through, 0)) run)
  INSERT INTO stock_history_skus AS s (sku, complete_through) SELECT sku, complete_through FROM advanced
  ON CONFLICT (sku) DO UPDATE SET complete_through = EXCLUDED.complete_through`;

/**
 * Each SKU's on hand and reserved after every event of its inventory stream, in the order the events
 * were recorded: two statements per batch, however many events and SKUs it holds.
 */
export const stockHistoryProjection: SqlProjection = {
  name: 'stock-history',
  rebuild: { tables: ['stock_history', 'stock_history_skus'] },
  eventTypes: new Set(INVENTORY_EVENT_TYPES),
  readsThenWrites: true,
  async apply(tx, events) {
    const rows = events.flatMap((event) => {
      const sku = inventoryStream.keyOf(event.streamId);
      if (sku === undefined) return [];
      // Only the inventory decider writes these types, so the data has the shape the type declares.
      const change = stockChange(event as unknown as InventoryEvent);
      return [
        {
          sku,
          stream_version: event.streamVersion,
          recorded_at: event.recordedAt,
          on_hand_delta: change.onHand,
          reserved_delta: change.reserved,
        },
      ];
    });
    if (rows.length === 0) return;
    const batch = JSON.stringify(rows);
    await tx.query(WRITE_ROWS, [batch]);
    await tx.query(ADVANCE_COMPLETE, [batch]);
  },
};
