import type { SqlClient, SqlTransaction } from '../db/sql-client.ts';
import type { InventoryEvent } from '../domain/inventory/index.ts';

/**
 * What the relay needs to know about a SKU to tell when its stock runs low: on hand and reserved.
 * The relay folds inventory events into these as it publishes and stores them with its checkpoint,
 * so a restarted relay continues from exactly the levels that belong to that checkpoint.
 */
export type StockLevel = Readonly<{ onHand: number; reserved: number }>;

export const NO_STOCK: StockLevel = { onHand: 0, reserved: 0 };

export const available = (level: StockLevel) => level.onHand - level.reserved;

export const nextLevel = (level: StockLevel, event: InventoryEvent): StockLevel => {
  switch (event.type) {
    case 'StockReceived':
      return { ...level, onHand: level.onHand + event.data.quantity };
    case 'StockAdjusted':
      return { ...level, onHand: level.onHand + event.data.delta };
    case 'StockReserved':
      return { ...level, reserved: level.reserved + event.data.quantity };
    case 'ReservationCommitted':
      return { onHand: level.onHand - event.data.quantity, reserved: level.reserved - event.data.quantity };
    case 'ReservationReleased':
    case 'ReservationExpired':
      return { ...level, reserved: level.reserved - event.data.quantity };
    case 'ReservationReturned':
      return { ...level, onHand: level.onHand + event.data.quantity };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};

/** Stock runs low when the units available to sell drop from `threshold` or more to fewer. */
export const crossedBelow = (before: StockLevel, after: StockLevel, threshold: number) =>
  available(before) >= threshold && available(after) < threshold;

export async function loadStockLevels(
  db: SqlClient,
  relay: string,
  skus: readonly string[],
): Promise<Map<string, StockLevel>> {
  if (skus.length === 0) return new Map();
  const rows = await db.query<{ sku: string; on_hand: string | number; reserved: string | number }>(
    `SELECT sku, on_hand, reserved FROM integration_stock_levels WHERE relay = $1 AND sku = ANY($2::text[])`,
    [relay, skus],
  );
  return new Map(rows.map((r) => [r.sku, { onHand: Number(r.on_hand), reserved: Number(r.reserved) }]));
}

export async function saveStockLevels(
  tx: SqlTransaction,
  relay: string,
  levels: ReadonlyMap<string, StockLevel>,
): Promise<void> {
  if (levels.size === 0) return;
  const skus = [...levels.keys()].sort();
  await tx.query(
    `INSERT INTO integration_stock_levels (relay, sku, on_hand, reserved)
     SELECT $1, sku, on_hand, reserved
       FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS l(sku, on_hand, reserved)
     ON CONFLICT (relay, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved`,
    [relay, skus, skus.map((s) => levels.get(s)!.onHand), skus.map((s) => levels.get(s)!.reserved)],
  );
}
