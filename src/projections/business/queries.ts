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
