import type { SqlClient } from '../../db/sql-client.ts';

export type BusinessNumbers = Readonly<{
  /** Orders by outcome (placed, confirmed, cancelled) and reason ('' unless cancelled). */
  orders: readonly { outcome: string; reason: string; orders: number }[];
  placed: number;
  confirmed: number;
  cancelled: number;
  /** confirmed / (confirmed + cancelled); null before any order has ended. */
  orderSuccessRate: number | null;
  cartsWithItems: number;
  cartsCheckedOut: number;
  /** Carts that held items and never reached checkout, over carts that held items; null without any. */
  cartAbandonmentRate: number | null;
  /** Confirmed orders with money refunded, over confirmed orders; null before any was confirmed. */
  refundRate: number | null;
  /** Shipped orders a customer asked to return, over shipped orders; null before any shipped. */
  returnRate: number | null;
  /** Mean seconds from confirmation to the first shipment, over shipped orders; null before any shipped. */
  secondsToShipment: number | null;
}>;

/** The business numbers as the `business-metrics` projection has them now. */
export async function businessNumbers(db: SqlClient): Promise<BusinessNumbers> {
  const [orders, [carts], [life]] = await Promise.all([
    db.query<{ outcome: string; reason: string; orders: string | number }>(
      `SELECT outcome, reason, orders FROM business_order_outcomes ORDER BY outcome, reason`,
    ),
    db.query<{ with_items: string | number; checked_out: string | number }>(
      `SELECT count(*) AS with_items, count(*) FILTER (WHERE checked_out) AS checked_out FROM business_carts`,
    ),
    db.query<{
      confirmed: string | number;
      refunded: string | number;
      shipped: string | number;
      returned: string | number;
      seconds: string | number | null;
    }>(
      `SELECT count(*) FILTER (WHERE confirmed_at IS NOT NULL) AS confirmed,
              count(*) FILTER (WHERE confirmed_at IS NOT NULL AND refunded) AS refunded,
              count(*) FILTER (WHERE first_shipped_at IS NOT NULL) AS shipped,
              count(*) FILTER (WHERE first_shipped_at IS NOT NULL AND returned) AS returned,
              avg(extract(epoch FROM first_shipped_at - confirmed_at)) AS seconds
         FROM business_order_lifecycle`,
    ),
  ]);
  const rows = orders.map((r) => ({ outcome: r.outcome, reason: r.reason, orders: Number(r.orders) }));
  const total = (outcome: string) =>
    rows.filter((r) => r.outcome === outcome).reduce((sum, r) => sum + r.orders, 0);
  const [placed, confirmed, cancelled] = [total('placed'), total('confirmed'), total('cancelled')];
  const cartsWithItems = Number(carts?.with_items ?? 0);
  const cartsCheckedOut = Number(carts?.checked_out ?? 0);
  return {
    orders: rows,
    placed,
    confirmed,
    cancelled,
    orderSuccessRate: confirmed + cancelled > 0 ? confirmed / (confirmed + cancelled) : null,
    cartsWithItems,
    cartsCheckedOut,
    cartAbandonmentRate: cartsWithItems > 0 ? (cartsWithItems - cartsCheckedOut) / cartsWithItems : null,
    ...afterSale(life),
  };
}

function afterSale(
  row:
    | {
        confirmed: string | number;
        refunded: string | number;
        shipped: string | number;
        returned: string | number;
        seconds: string | number | null;
      }
    | undefined,
) {
  const [confirmed, refunded, shipped, returned] = [
    row?.confirmed,
    row?.refunded,
    row?.shipped,
    row?.returned,
  ].map((n) => Number(n ?? 0)) as [number, number, number, number];
  return {
    refundRate: confirmed > 0 ? refunded / confirmed : null,
    returnRate: shipped > 0 ? returned / shipped : null,
    secondsToShipment: shipped > 0 && row?.seconds != null ? Number(row.seconds) : null,
  };
}

export type BusinessSeriesPoint = Readonly<{
  /** Start of the bucket. */
  at: string;
  placed: number;
  confirmed: number;
  cancelled: number;
  /** confirmed / (confirmed + cancelled) within the bucket; null when neither happened. */
  successRatio: number | null;
  /** Carts that got their first item within the bucket, and how many of them never reached checkout. */
  cartsStarted: number;
  cartAbandonment: number | null;
  shipments: number;
  returns: number;
  refunds: number;
  /** Minor units refunded within the bucket (of every currency: the platform sells in one). */
  refunded: number;
}>;

/**
 * The business numbers per bucket of `stepSeconds` from `from` (inclusive) to `to` (exclusive), every
 * bucket present (zero when nothing happened), for the console's charts.
 */
export async function businessSeries(
  db: SqlClient,
  range: Readonly<{ from: string; to: string; stepSeconds: number }>,
): Promise<BusinessSeriesPoint[]> {
  const { from, to, stepSeconds } = range;
  const bucket = (column: string) => `floor(extract(epoch FROM ${column} - $1::timestamptz) / $3)::int`;
  const [events, carts] = await Promise.all([
    db.query<{ bucket: number; kind: string; n: string | number; amount: string | number }>(
      `SELECT ${bucket('at')} AS bucket, kind, count(*) AS n, sum(amount) AS amount FROM business_events
        WHERE at >= $1 AND at < $2 GROUP BY 1, 2`,
      [from, to, stepSeconds],
    ),
    db.query<{ bucket: number; started: string | number; abandoned: string | number }>(
      `SELECT ${bucket('started_at')} AS bucket, count(*) AS started, count(*) FILTER (WHERE NOT checked_out) AS abandoned
         FROM business_carts WHERE started_at >= $1 AND started_at < $2 GROUP BY 1`,
      [from, to, stepSeconds],
    ),
  ]);
  const buckets = Math.ceil((Date.parse(to) - Date.parse(from)) / (stepSeconds * 1000));
  return Array.from({ length: buckets }, (_, i) => {
    const of = (kind: string) => events.find((e) => Number(e.bucket) === i && e.kind === kind);
    const count = (kind: string) => Number(of(kind)?.n ?? 0);
    const [confirmed, cancelled] = [count('confirmed'), count('cancelled')];
    const cartRow = carts.find((c) => Number(c.bucket) === i);
    const cartsStarted = Number(cartRow?.started ?? 0);
    return {
      at: new Date(Date.parse(from) + i * stepSeconds * 1000).toISOString(),
      placed: count('placed'),
      confirmed,
      cancelled,
      successRatio: confirmed + cancelled > 0 ? confirmed / (confirmed + cancelled) : null,
      cartsStarted,
      cartAbandonment: cartsStarted > 0 ? Number(cartRow?.abandoned ?? 0) / cartsStarted : null,
      shipments: count('shipment'),
      returns: count('return'),
      refunds: count('refund'),
      refunded: Number(of('refund')?.amount ?? 0),
    };
  });
}
