import { BY_KEY, type SqlClient } from '../../db/sql-client.ts';
import type { CustomerFacts } from '../../domain/fraud/index.ts';
import type { Checkpoint } from '../../eventstore/event-store.ts';
import type { Money } from '../../domain/money.ts';
import { orderStream } from '../../domain/order/index.ts';
import { FRAUD_PROJECTION } from './projection.ts';

/** What the facts of one order are counted for (the saga's `ScreeningRequest`). */
export type FactsRequest = Readonly<{
  orderId: string;
  customerId: string;
  clientKey: string | null;
  paymentMethod: string;
  amount: Money;
  placedAt: string;
}>;

/** Failures that say nothing of the card or the customer: the gateway did not answer, or could not. */
const NOT_THE_CUSTOMERS = ['gateway_timeout', 'timeout', 'unavailable'];

type FactsRow = {
  caught_up: boolean;
  placed_transaction: string | null;
  placed_position: string | number | null;
  declines: string | number;
  orders: string | number;
  from_address: string | number | null;
  methods: string | number;
  confirmed: string | number;
};

/**
 * One statement, so the checkpoint and the rows are of one snapshot: whether the projection has applied
 * the order's placement (and with it every event before it in the log), and the rules' measures.
 */
const FACTS = `
  WITH placed AS (
    SELECT transaction_id, global_position FROM es_events WHERE stream_id = $1 AND stream_version = 1)
  SELECT EXISTS (
           SELECT 1 FROM projection_checkpoints c, placed p
            WHERE c.projection = $2
              AND (c.transaction_id, c.global_position) >= (p.transaction_id, p.global_position)) AS caught_up,
         (SELECT transaction_id::text FROM placed) AS placed_transaction,
         (SELECT global_position FROM placed) AS placed_position,
         (SELECT count(*) FROM fraud_declines
           WHERE customer_id = $3 AND failed_at > $5::timestamptz - interval '10 minutes'
             AND reason <> ALL($8::text[])) AS declines,
         (SELECT count(*) FROM fraud_orders
           WHERE customer_id = $3 AND order_id <> $4
             AND placed_at > $5::timestamptz - interval '1 hour' AND placed_at <= $5::timestamptz) AS orders,
         CASE WHEN $6::text IS NOT NULL THEN
           (SELECT count(*) FROM fraud_orders
             WHERE client_key = $6 AND order_id <> $4
               AND placed_at > $5::timestamptz - interval '1 hour' AND placed_at <= $5::timestamptz)
         END AS from_address,
         (SELECT count(DISTINCT method) FROM (
            SELECT payment_method AS method FROM fraud_orders
             WHERE customer_id = $3 AND placed_at > $5::timestamptz - interval '1 day'
               AND placed_at <= $5::timestamptz
            UNION ALL SELECT $7::text) m) AS methods,
         (SELECT count(*) FROM fraud_orders WHERE customer_id = $3 AND confirmed AND order_id <> $4) AS confirmed`;

/**
 * The customer's facts up to the order; or, while the projection has not applied the order's placement,
 * where the placement is in the log (none: the order was never placed).
 */
export async function customerFactsAt(
  db: SqlClient,
  request: FactsRequest,
): Promise<{ facts: CustomerFacts } | { placedIn?: Checkpoint }> {
  const [row] = await db.query<FactsRow>(
    FACTS,
    [
      orderStream.id(request.orderId),
      FRAUD_PROJECTION,
      request.customerId,
      request.orderId,
      request.placedAt,
      request.clientKey,
      request.paymentMethod,
      NOT_THE_CUSTOMERS,
    ],
    BY_KEY,
  );
  if (!row?.caught_up)
    return row?.placed_transaction
      ? { placedIn: { transactionId: row.placed_transaction, globalPosition: Number(row.placed_position) } }
      : {};
  return {
    facts: {
      declinesLast10Minutes: Number(row.declines),
      ordersLastHour: Number(row.orders),
      ordersFromAddressLastHour: row.from_address === null ? null : Number(row.from_address),
      paymentMethodsLastDay: Number(row.methods),
      confirmedOrders: Number(row.confirmed),
      orderAmount: request.amount.amount,
    },
  };
}

export const REVIEW_STATUSES = ['open', 'approved', 'rejected', 'cancelled'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** An order held for review, for admins and auditors: which rule held it and what it measured. */
export type HeldOrder = Readonly<{
  orderId: string;
  customerId: string;
  rule: string;
  measures: Readonly<Record<string, number | null>>;
  total: Money;
  status: ReviewStatus;
  heldAt: string;
  decidedAt?: string;
}>;

type ReviewRow = {
  order_id: string;
  customer_id: string;
  rule: string;
  measures: Record<string, number | null>;
  amount: string | number;
  currency: string;
  status: ReviewStatus;
  held_at: Date | string;
  decided_at: Date | string | null;
};

const toHeldOrder = (row: ReviewRow): HeldOrder => ({
  orderId: row.order_id,
  customerId: row.customer_id,
  rule: row.rule,
  measures: row.measures,
  total: { amount: Number(row.amount), currency: row.currency },
  status: row.status,
  heldAt: new Date(row.held_at).toISOString(),
  ...(row.decided_at ? { decidedAt: new Date(row.decided_at).toISOString() } : {}),
});

export type ReviewFilter = Readonly<{ status?: ReviewStatus; page: number; pageSize: number }>;

/** Orders held for review, of one status or all: the open ones oldest first (a queue), others newest first. */
export async function listReviews(db: SqlClient, filter: ReviewFilter) {
  const { page, pageSize } = filter;
  const status = filter.status ?? null;
  const order = status === 'open' ? 'held_at ASC, order_id ASC' : 'held_at DESC, order_id DESC';
  const [rows, [count]] = await Promise.all([
    db.query<ReviewRow>(
      `SELECT * FROM fraud_reviews WHERE ($1::text IS NULL OR status = $1)
        ORDER BY ${order} LIMIT $2 OFFSET $3`,
      [status, pageSize, (page - 1) * pageSize],
    ),
    db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM fraud_reviews WHERE ($1::text IS NULL OR status = $1)`,
      [status],
    ),
  ]);
  return { items: rows.map(toHeldOrder), total: Number(count?.n ?? 0), page, pageSize };
}
