import type { SqlClient } from '../../db/sql-client.ts';
import { ORDER_STATUS_AFTER, type OrderEvent } from '../../domain/order/index.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

/** The status an order event moves the order to, if it changes the status (the domain's map). */
const STATUS_OF: Partial<Record<OrderEvent['type'], string>> = ORDER_STATUS_AFTER;

type Placed = Extract<OrderEvent, { type: 'OrderPlaced' }>['data'];
type Change = {
  order_id: string;
  status: string;
  reason: string | null;
  entries: unknown[];
  updated_at: string;
};

/**
 * Each order's customer, lines, totals, status and a timeline of its status changes. A batch is
 * folded per order in memory and written with two statements (new orders, then status changes), so a
 * replay of the whole log costs a few round trips per batch, not one per event.
 */
export const orderHistoryProjection: SqlProjection = {
  name: 'order-history',
  rebuild: { tables: ['order_history'] },
  eventTypes: new Set(Object.keys(STATUS_OF)),
  async apply(tx, events) {
    const placed: { data: Placed; recordedAt: string }[] = [];
    const changes = new Map<string, Change>();
    for (const event of events) {
      const status = STATUS_OF[event.type as OrderEvent['type']]!;
      if (event.type === 'OrderPlaced') {
        placed.push({ data: event.data as Placed, recordedAt: event.recordedAt });
        continue;
      }
      const { orderId, reason } = event.data as { orderId: string; reason?: string };
      const change = changes.get(orderId);
      const entry = { status, at: event.recordedAt };
      if (!change)
        changes.set(orderId, {
          order_id: orderId,
          status,
          reason: reason ?? null,
          entries: [entry],
          updated_at: event.recordedAt,
        });
      else
        Object.assign(change, {
          status,
          reason: reason ?? change.reason,
          entries: [...change.entries, entry],
          updated_at: event.recordedAt,
        });
    }
    // An order's OrderPlaced is the first event of its stream: it comes before any change to it.
    if (placed.length > 0)
      await tx.query(
        `INSERT INTO order_history (order_id, customer_id, status, lines, total_amount, currency, timeline, created_at, updated_at)
         SELECT r.order_id, r.customer_id, 'pending', r.lines, r.total_amount, r.currency,
                jsonb_build_array(jsonb_build_object('status', 'pending', 'at', r.recorded_at)), r.placed_at, r.placed_at
           FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, customer_id text, lines jsonb, total_amount bigint,
                                                   currency text, placed_at timestamptz, recorded_at text)
         ON CONFLICT (order_id) DO NOTHING`,
        [
          JSON.stringify(
            placed.map(({ data, recordedAt }) => ({
              order_id: data.orderId,
              customer_id: data.customerId,
              lines: data.lines,
              total_amount: data.total.amount,
              currency: data.total.currency,
              placed_at: data.placedAt,
              recorded_at: recordedAt,
            })),
          ),
        ],
      );
    if (changes.size > 0)
      await tx.query(
        `UPDATE order_history AS o
            SET status = r.status, reason = coalesce(r.reason, o.reason), timeline = o.timeline || r.entries,
                updated_at = r.updated_at
           FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, status text, reason text, entries jsonb,
                                                    updated_at timestamptz)
          WHERE o.order_id = r.order_id`,
        [JSON.stringify([...changes.values()])],
      );
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
