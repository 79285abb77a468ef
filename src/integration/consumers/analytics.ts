import type { SqlClient, SqlTransaction } from '../../db/sql-client.ts';
import type { IntegrationEvent } from '../events.ts';
import type { IntegrationHandler } from './consumer.ts';

/**
 * The analytics sink: sales per SKU per day (units and revenue of confirmed orders) and the
 * conversion funnel (orders placed, confirmed, cancelled) per day. Days are UTC dates.
 */
const dayOf = (timestamp: string) => new Date(timestamp).toISOString().slice(0, 10);

type Sale = { day: string; sku: string; currency: string; units: number; revenue: number; orders: number };
type FunnelDay = { day: string; placed: number; confirmed: number; cancelled: number };

/** Folds a batch into the increments it adds, one per row key, in key order (no deadlocks between members). */
export function analyticsIncrements(events: readonly IntegrationEvent[]) {
  const sales = new Map<string, Sale>();
  const funnel = new Map<string, FunnelDay>();
  const funnelDay = (day: string) => {
    const row = funnel.get(day) ?? { day, placed: 0, confirmed: 0, cancelled: 0 };
    funnel.set(day, row);
    return row;
  };
  for (const event of events) {
    switch (event.type) {
      case 'OrderPlaced':
        funnelDay(dayOf(event.data.placedAt)).placed++;
        break;
      case 'OrderCancelled':
        funnelDay(dayOf(event.data.cancelledAt)).cancelled++;
        break;
      case 'OrderConfirmed': {
        const day = dayOf(event.data.confirmedAt);
        funnelDay(day).confirmed++;
        for (const line of event.data.lines) {
          const key = `${day}|${line.sku}|${line.lineTotal.currency}`;
          const row = sales.get(key) ?? {
            day,
            sku: line.sku,
            currency: line.lineTotal.currency,
            units: 0,
            revenue: 0,
            orders: 0,
          };
          row.units += line.quantity;
          row.revenue += line.lineTotal.amount;
          row.orders += 1;
          sales.set(key, row);
        }
        break;
      }
      default:
        break;
    }
  }
  const byKey = <T>(map: Map<string, T>) =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  return { sales: byKey(sales), funnel: byKey(funnel) };
}

async function record(tx: SqlTransaction, events: readonly IntegrationEvent[]) {
  const { sales, funnel } = analyticsIncrements(events);
  if (sales.length > 0)
    await tx.query(
      `INSERT INTO analytics_sales_daily (day, sku, currency, units, revenue, orders)
       SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
       ON CONFLICT (day, sku, currency) DO UPDATE
         SET units = analytics_sales_daily.units + EXCLUDED.units,
             revenue = analytics_sales_daily.revenue + EXCLUDED.revenue,
             orders = analytics_sales_daily.orders + EXCLUDED.orders`,
      [
        sales.map((s) => s.day),
        sales.map((s) => s.sku),
        sales.map((s) => s.currency),
        sales.map((s) => s.units),
        sales.map((s) => s.revenue),
        sales.map((s) => s.orders),
      ],
    );
  if (funnel.length > 0)
    await tx.query(
      `INSERT INTO analytics_funnel_daily (day, placed, confirmed, cancelled)
       SELECT * FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::bigint[])
       ON CONFLICT (day) DO UPDATE
         SET placed = analytics_funnel_daily.placed + EXCLUDED.placed,
             confirmed = analytics_funnel_daily.confirmed + EXCLUDED.confirmed,
             cancelled = analytics_funnel_daily.cancelled + EXCLUDED.cancelled`,
      [
        funnel.map((f) => f.day),
        funnel.map((f) => f.placed),
        funnel.map((f) => f.confirmed),
        funnel.map((f) => f.cancelled),
      ],
    );
}

export const analyticsHandler: IntegrationHandler = {
  name: 'analytics',
  topics: ['orders'],
  apply: record,
};

export type DayRange = Readonly<{ from?: string; to?: string }>;

export type SalesRow = Readonly<{
  day: string;
  sku: string;
  currency: string;
  units: number;
  revenue: number;
  orders: number;
}>;

/** Sales per SKU per day between `from` and `to` (inclusive UTC dates), by day then SKU. */
export async function salesPerSkuPerDay(db: SqlClient, range: DayRange): Promise<SalesRow[]> {
  const rows = await db.query<{
    day: string;
    sku: string;
    currency: string;
    units: string;
    revenue: string;
    orders: string;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, sku, currency, units::text, revenue::text, orders::text
       FROM analytics_sales_daily
      WHERE ($1::date IS NULL OR day >= $1::date) AND ($2::date IS NULL OR day <= $2::date)
      ORDER BY day, sku, currency`,
    [range.from ?? null, range.to ?? null],
  );
  return rows.map((r) => ({
    day: r.day,
    sku: r.sku,
    currency: r.currency,
    units: Number(r.units),
    revenue: Number(r.revenue),
    orders: Number(r.orders),
  }));
}

export type Funnel = Readonly<{
  placed: number;
  confirmed: number;
  cancelled: number;
  /** Confirmed per placed order (0 when none was placed). */
  conversionRate: number;
}>;

/** The conversion funnel over the days between `from` and `to` (all days when unset). */
export async function conversionFunnel(db: SqlClient, range: DayRange = {}): Promise<Funnel> {
  const [row] = await db.query<{ placed: string; confirmed: string; cancelled: string }>(
    `SELECT coalesce(sum(placed), 0)::text AS placed, coalesce(sum(confirmed), 0)::text AS confirmed,
            coalesce(sum(cancelled), 0)::text AS cancelled
       FROM analytics_funnel_daily
      WHERE ($1::date IS NULL OR day >= $1::date) AND ($2::date IS NULL OR day <= $2::date)`,
    [range.from ?? null, range.to ?? null],
  );
  const placed = Number(row?.placed ?? 0);
  const confirmed = Number(row?.confirmed ?? 0);
  return {
    placed,
    confirmed,
    cancelled: Number(row?.cancelled ?? 0),
    conversionRate: placed === 0 ? 0 : confirmed / placed,
  };
}
