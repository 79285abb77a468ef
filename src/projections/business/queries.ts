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
}>;

/** The business numbers as the `business-metrics` projection has them now. */
export async function businessNumbers(db: SqlClient): Promise<BusinessNumbers> {
  const [orders, [carts]] = await Promise.all([
    db.query<{ outcome: string; reason: string; orders: string | number }>(
      `SELECT outcome, reason, orders FROM business_order_outcomes ORDER BY outcome, reason`,
    ),
    db.query<{ with_items: string | number; checked_out: string | number }>(
      `SELECT count(*) AS with_items, count(*) FILTER (WHERE checked_out) AS checked_out FROM business_carts`,
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
  };
}
