import type { SqlClient, SqlTransaction } from '../../db/sql-client.ts';
import {
  orderDecider,
  type OrderEvent,
  type OrderState,
  type PlacedOrder,
} from '../../domain/order/index.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import {
  orderView,
  seenOnTimeline,
  TIMELINE_EVENT_TYPES,
  timelineEntry,
  type OrderView,
  type TimelineEntry,
} from './order-view.ts';

type Folded = { state: OrderState; timeline: TimelineEntry[]; returnIds: Set<string> };

/**
 * Each order folded by the order domain's own `evolve` (its status is decided there, nowhere else),
 * with the timeline of its events and, for admins, its returns. A batch reads the rows of the orders
 * it touches once, folds its events in memory and writes each order back with one statement (and
 * its returns with another), so a replay of the whole log costs a few round trips per batch.
 */
export const orderHistoryProjection: SqlProjection = {
  name: 'order-history',
  rebuild: { tables: ['order_history', 'order_returns'] },
  eventTypes: new Set(TIMELINE_EVENT_TYPES),
  readsThenWrites: true,
  async apply(tx, events) {
    const orders = await foldedOrders(tx, events);
    for (const event of events) {
      const { orderId } = event.data as { orderId: string };
      const folded = orders.get(orderId)!;
      const domainEvent = { type: event.type, data: event.data } as OrderEvent;
      folded.state = orderDecider.evolve(folded.state, domainEvent);
      if (folded.state.status === 'not_placed') continue;
      if (seenOnTimeline(domainEvent))
        folded.timeline.push(timelineEntry(domainEvent, folded.state.status, event.recordedAt));
      const { returnId } = event.data as { returnId?: string | null };
      if ((event.type === 'ReturnRequested' || event.type === 'ReturnReceived') && returnId)
        folded.returnIds.add(returnId);
    }
    const placed = [...orders.values()].filter(
      (o): o is Folded & { state: PlacedOrder } => o.state.status !== 'not_placed',
    );
    if (placed.length === 0) return;
    await tx.query(
      `INSERT INTO order_history AS o (order_id, customer_id, status, lines, total_amount, currency, reason, timeline,
                                       state, created_at, updated_at)
       SELECT r.order_id, r.customer_id, r.status, r.lines, r.total_amount, r.currency, r.reason, r.timeline,
              r.state, r.created_at, r.updated_at
         FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, customer_id text, status text, lines jsonb,
              total_amount bigint, currency text, reason text, timeline jsonb, state jsonb, created_at timestamptz,
              updated_at timestamptz)
       ON CONFLICT (order_id) DO UPDATE
         SET status = EXCLUDED.status, reason = EXCLUDED.reason, timeline = EXCLUDED.timeline,
             state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [
        JSON.stringify(
          placed.map(({ state, timeline }) => ({
            order_id: state.orderId,
            customer_id: state.customerId,
            status: state.status,
            lines: state.lines,
            total_amount: state.total.amount,
            currency: state.total.currency,
            reason: state.cancellationReason,
            timeline,
            state,
            created_at: state.placedAt,
            updated_at: state.updatedAt,
          })),
        ),
      ],
    );
    const returns = placed.flatMap(({ state, returnIds }) =>
      state.returns
        .filter((r) => returnIds.has(r.returnId))
        .map((r) => ({
          return_id: r.returnId,
          order_id: state.orderId,
          customer_id: state.customerId,
          status: r.status,
          lines: r.lines,
          reason: r.reason,
          received: r.received,
          requested_at: r.requestedAt,
          received_at: r.receivedAt,
        })),
    );
    if (returns.length > 0)
      await tx.query(
        `INSERT INTO order_returns (return_id, order_id, customer_id, status, lines, reason, received, requested_at,
                                    received_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(return_id text, order_id text, customer_id text,
                status text, lines jsonb, reason text, received jsonb, requested_at timestamptz, received_at timestamptz)
         ON CONFLICT (return_id) DO UPDATE
           SET status = EXCLUDED.status, received = EXCLUDED.received, received_at = EXCLUDED.received_at`,
        [JSON.stringify(returns)],
      );
  },
};

/** The orders a batch touches, as their rows hold them (an order placed in the batch starts unplaced). */
async function foldedOrders(tx: SqlTransaction, events: readonly RecordedEvent[]) {
  const orderIds = [...new Set(events.map((e) => (e.data as { orderId: string }).orderId))];
  const rows = await tx.query<{ order_id: string; state: PlacedOrder | null; timeline: TimelineEntry[] }>(
    `SELECT order_id, state, timeline FROM order_history WHERE order_id = ANY($1::text[])`,
    [orderIds],
  );
  const known = new Map(rows.map((row) => [row.order_id, row]));
  return new Map<string, Folded>(
    orderIds.map((orderId) => {
      const row = known.get(orderId);
      return [
        orderId,
        {
          state: row?.state ?? orderDecider.initialState(),
          timeline: row?.timeline ?? [],
          returnIds: new Set<string>(),
        },
      ];
    }),
  );
}

export type OrderSummary = OrderView & { timeline: TimelineEntry[] };

type Row = { state: PlacedOrder; timeline: TimelineEntry[] };

const toSummary = (row: Row): OrderSummary => ({ ...orderView(row.state), timeline: row.timeline });

/** A customer's orders, newest first. */
export async function ordersOfCustomer(db: SqlClient, customerId: string, page: number, pageSize: number) {
  return listOrders(db, { customerId, page, pageSize });
}

export type OrderFilter = Readonly<{
  status?: string;
  customerId?: string;
  /** Placed at or after. */
  from?: string;
  /** Placed before. */
  to?: string;
  page: number;
  pageSize: number;
}>;

/** Orders matching the filter, newest first (the admins' list, and a customer's own). */
export async function listOrders(db: SqlClient, filter: OrderFilter) {
  const { page, pageSize } = filter;
  const params = [filter.status ?? null, filter.customerId ?? null, filter.from ?? null, filter.to ?? null];
  const where = `($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR customer_id = $2)
    AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
    AND state IS NOT NULL`;
  const [rows, [count]] = await Promise.all([
    db.query<Row>(
      `SELECT state, timeline FROM order_history WHERE ${where}
        ORDER BY created_at DESC, order_id DESC LIMIT $5 OFFSET $6`,
      [...params, pageSize, (page - 1) * pageSize],
    ),
    db.query<{ n: string | number }>(`SELECT count(*) AS n FROM order_history WHERE ${where}`, params),
  ]);
  return { items: rows.map(toSummary), total: Number(count?.n ?? 0), page, pageSize };
}

export type ReturnSummary = Readonly<{
  returnId: string;
  orderId: string;
  customerId: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  reason: string;
  received: { sku: string; quantity: number; restock: boolean }[];
  requestedAt: string;
  receivedAt?: string;
}>;

type ReturnRow = {
  return_id: string;
  order_id: string;
  customer_id: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  reason: string;
  received: { sku: string; quantity: number; restock: boolean }[];
  requested_at: Date | string;
  received_at: Date | string | null;
};

const toReturn = (row: ReturnRow): ReturnSummary => ({
  returnId: row.return_id,
  orderId: row.order_id,
  customerId: row.customer_id,
  status: row.status,
  lines: row.lines,
  reason: row.reason,
  received: row.received,
  requestedAt: new Date(row.requested_at).toISOString(),
  ...(row.received_at ? { receivedAt: new Date(row.received_at).toISOString() } : {}),
});

/** Returns, newest first, of one status or all. */
export async function listReturns(
  db: SqlClient,
  filter: Readonly<{ status?: string; page: number; pageSize: number }>,
) {
  const { page, pageSize } = filter;
  const status = filter.status ?? null;
  const [rows, [count]] = await Promise.all([
    db.query<ReturnRow>(
      `SELECT * FROM order_returns WHERE ($1::text IS NULL OR status = $1)
        ORDER BY requested_at DESC, return_id DESC LIMIT $2 OFFSET $3`,
      [status, pageSize, (page - 1) * pageSize],
    ),
    db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM order_returns WHERE ($1::text IS NULL OR status = $1)`,
      [status],
    ),
  ]);
  return { items: rows.map(toReturn), total: Number(count?.n ?? 0), page, pageSize };
}

/** The order a return belongs to, as far as the read model has seen it (undefined: not known yet). */
export async function orderOfReturn(db: SqlClient, returnId: string): Promise<string | undefined> {
  const [row] = await db.query<{ order_id: string }>(
    `SELECT order_id FROM order_returns WHERE return_id = $1`,
    [returnId],
  );
  return row?.order_id;
}
