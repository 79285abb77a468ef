import type { SqlClient } from '../../db/sql-client.ts';
import type { OrderEvent } from '../../domain/order/index.ts';
import type { SqlProjection } from '../runtime.ts';

/** The status an order event moves the order to, if it changes the status. */
const STATUS_OF: Partial<Record<OrderEvent['type'], string>> = {
  OrderPlaced: 'pending',
  OrderConfirmed: 'confirmed',
  OrderCancelled: 'cancelled',
  OrderShipped: 'shipped',
  OrderRefunded: 'refunded',
};

/** Each order's customer, lines, totals, status and a timeline of its status changes. */
export const orderHistoryProjection: SqlProjection = {
  name: 'order-history',
  eventTypes: new Set(Object.keys(STATUS_OF)),
  async apply(tx, events) {
    for (const event of events) {
      const status = STATUS_OF[event.type as OrderEvent['type']]!;
      const entry = JSON.stringify([{ status, at: event.recordedAt }]);
      if (event.type === 'OrderPlaced') {
        const placed = event.data as Extract<OrderEvent, { type: 'OrderPlaced' }>['data'];
        await tx.query(
          `INSERT INTO order_history (order_id, customer_id, status, lines, total_amount, currency, timeline, created_at, updated_at)
           VALUES ($1, $2, 'pending', $3::jsonb, $4, $5, $6::jsonb, $7, $7)
           ON CONFLICT (order_id) DO NOTHING`,
          [
            placed.orderId,
            placed.customerId,
            JSON.stringify(placed.lines),
            placed.total.amount,
            placed.total.currency,
            entry,
            placed.placedAt,
          ],
        );
      } else {
        const reason = (event.data as { reason?: string }).reason ?? null;
        await tx.query(
          `UPDATE order_history SET status = $2, reason = coalesce($3, reason), timeline = timeline || $4::jsonb, updated_at = $5
            WHERE order_id = $1`,
          [(event.data as { orderId: string }).orderId, status, reason, entry, event.recordedAt],
        );
      }
    }
  },
};

export type OrderSummary = {
  orderId: string;
  status: string;
  lines: unknown[];
  total: { amount: number; currency: string };
  createdAt: string;
  updatedAt: string;
  reason?: string;
  timeline: { status: string; at: string }[];
};

type Row = {
  order_id: string;
  status: string;
  lines: unknown[];
  total_amount: string | number;
  currency: string;
  reason: string | null;
  timeline: { status: string; at: string }[];
  created_at: Date | string;
  updated_at: Date | string;
};

const toSummary = (row: Row): OrderSummary => ({
  orderId: row.order_id,
  status: row.status,
  lines: row.lines,
  total: { amount: Number(row.total_amount), currency: row.currency },
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
  ...(row.reason ? { reason: row.reason } : {}),
  timeline: row.timeline,
});

/** A customer's orders, newest first. */
export async function ordersOfCustomer(db: SqlClient, customerId: string, page: number, pageSize: number) {
  const [rows, [count]] = await Promise.all([
    db.query<Row>(
      `SELECT * FROM order_history WHERE customer_id = $1 ORDER BY created_at DESC, order_id DESC LIMIT $2 OFFSET $3`,
      [customerId, pageSize, (page - 1) * pageSize],
    ),
    db.query<{ n: string | number }>(`SELECT count(*) AS n FROM order_history WHERE customer_id = $1`, [
      customerId,
    ]),
  ]);
  return { items: rows.map(toSummary), total: Number(count?.n ?? 0), page, pageSize };
}
