import type { SqlTransaction } from '../../db/sql-client.ts';
import type { OrderEvent } from '../../domain/order/index.ts';
import type { PaymentFailed } from '../../domain/payment/index.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

export const FRAUD_PROJECTION = 'fraud-velocity';

type Data<T extends OrderEvent['type']> = Extract<OrderEvent, { type: T }>['data'];

const EVENT_TYPES = [
  'OrderPlaced',
  'OrderConfirmed',
  'PaymentFailed',
  'OrderScreened',
  'OrderReviewed',
  'OrderCancelled',
] as const;

/**
 * The fraud rules' facts: each order placed (customer, client key, payment method, amount, confirmed
 * or not), each failed authorization with its order's customer, and the orders held for review.
 * A batch writes each kind of fact with one statement, in the order one order's events come in (placed,
 * then confirmed or failed; screened, then reviewed, then cancelled), so a batch reads as its events do.
 * Follows the log as eagerly as the saga's queue; the saga brings it up to an order it screens itself
 * when it is behind (`factsUpTo`).
 */
export const fraudVelocityProjection = (): SqlProjection => ({
  name: FRAUD_PROJECTION,
  rebuild: { tables: ['fraud_orders', 'fraud_declines', 'fraud_reviews'] },
  eventTypes: new Set(EVENT_TYPES),
  readsThenWrites: true,
  follow: { gatherMs: 20, maxPollIntervalMs: 15 },
  async apply(tx, events) {
    // Only the order and payment deciders write these types, so the data has the shape they declare.
    const dataOf = <D>(type: (typeof EVENT_TYPES)[number]) =>
      events.filter((e) => e.type === type).map((e) => e.data as D);
    await insertOrders(tx, dataOf<Data<'OrderPlaced'>>('OrderPlaced'));
    await confirmOrders(tx, dataOf<Data<'OrderConfirmed'>>('OrderConfirmed'));
    await insertDeclines(tx, dataOf<PaymentFailed['data']>('PaymentFailed'));
    await openReviews(tx, dataOf<Data<'OrderScreened'>>('OrderScreened'));
    await closeReviews(
      tx,
      dataOf<Data<'OrderReviewed'>>('OrderReviewed'),
      dataOf<Data<'OrderCancelled'>>('OrderCancelled'),
    );
  },
});

async function insertOrders(tx: SqlTransaction, placed: readonly Data<'OrderPlaced'>[]) {
  if (placed.length === 0) return;
  await tx.query(
    `INSERT INTO fraud_orders (order_id, customer_id, client_key, payment_method, amount, currency, placed_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, customer_id text, client_key text,
            payment_method text, amount bigint, currency text, placed_at timestamptz)
     ON CONFLICT (order_id) DO NOTHING`,
    [
      JSON.stringify(
        placed.map((p) => ({
          order_id: p.orderId,
          customer_id: p.customerId,
          client_key: p.clientKey ?? null,
          payment_method: p.paymentMethod,
          amount: p.total.amount,
          currency: p.total.currency,
          placed_at: p.placedAt,
        })),
      ),
    ],
  );
}

async function confirmOrders(tx: SqlTransaction, confirmed: readonly Data<'OrderConfirmed'>[]) {
  if (confirmed.length === 0) return;
  await tx.query(`UPDATE fraud_orders SET confirmed = true WHERE order_id = ANY($1::text[])`, [
    confirmed.map((c) => c.orderId),
  ]);
}

/** Each failure with its order's customer (the order was placed before it, so its row is there). */
async function insertDeclines(tx: SqlTransaction, failed: readonly PaymentFailed['data'][]) {
  if (failed.length === 0) return;
  await tx.query(
    `INSERT INTO fraud_declines (order_id, attempt, customer_id, reason, failed_at)
     SELECT f.order_id, f.attempt, o.customer_id, f.reason, f.failed_at
       FROM jsonb_to_recordset($1::jsonb) AS f(order_id text, attempt integer, reason text, failed_at timestamptz)
       JOIN fraud_orders o USING (order_id)
     ON CONFLICT (order_id, attempt) DO NOTHING`,
    [
      JSON.stringify(
        failed.map((f) => ({ order_id: f.orderId, attempt: f.attempt, reason: f.reason, failed_at: f.at })),
      ),
    ],
  );
}

/** An enforced review holds the order: it joins the admins' queue. */
async function openReviews(tx: SqlTransaction, screened: readonly Data<'OrderScreened'>[]) {
  const held = screened.filter((s) => s.enforced && s.decision === 'review');
  if (held.length === 0) return;
  await tx.query(
    `INSERT INTO fraud_reviews (order_id, customer_id, rule, measures, amount, currency, status, held_at)
     SELECT s.order_id, o.customer_id, s.rule, s.measures, o.amount, o.currency, 'open', s.held_at
       FROM jsonb_to_recordset($1::jsonb) AS s(order_id text, rule text, measures jsonb, held_at timestamptz)
       JOIN fraud_orders o USING (order_id)
     ON CONFLICT (order_id) DO NOTHING`,
    [
      JSON.stringify(
        held.map((s) => ({ order_id: s.orderId, rule: s.rule, measures: s.measures, held_at: s.at })),
      ),
    ],
  );
}

/** The admin's decision closes a review; so does the customer's cancellation of an order still held. */
async function closeReviews(
  tx: SqlTransaction,
  reviewed: readonly Data<'OrderReviewed'>[],
  cancelled: readonly Data<'OrderCancelled'>[],
) {
  if (reviewed.length > 0)
    await tx.query(
      `UPDATE fraud_reviews AS v SET status = r.status, decided_at = r.decided_at
         FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, status text, decided_at timestamptz)
        WHERE v.order_id = r.order_id AND v.status = 'open'`,
      [
        JSON.stringify(
          reviewed.map((r) => ({
            order_id: r.orderId,
            status: r.decision === 'approve' ? 'approved' : 'rejected',
            decided_at: r.at,
          })),
        ),
      ],
    );
  if (cancelled.length > 0)
    await tx.query(
      `UPDATE fraud_reviews AS v SET status = 'cancelled', decided_at = c.decided_at
         FROM jsonb_to_recordset($1::jsonb) AS c(order_id text, decided_at timestamptz)
        WHERE v.order_id = c.order_id AND v.status = 'open'`,
      [JSON.stringify(cancelled.map((c) => ({ order_id: c.orderId, decided_at: c.at })))],
    );
}
