import { Gauge, type Registry } from 'prom-client';
import type { SqlClient } from '../../db/sql-client.ts';
import { businessNumbers, type BusinessNumbers } from './queries.ts';

/**
 * The business numbers as Prometheus gauges, read from the read model at scrape time: every process
 * (api or worker) exports the same values, whichever of them ran the projection.
 */
export function registerBusinessMetrics(registry: Registry, db: SqlClient) {
  // One read per scrape: the gauges are collected together and share the read in flight.
  let reading: Promise<BusinessNumbers> | undefined;
  const read = () =>
    (reading ??= businessNumbers(db).finally(() => {
      reading = undefined;
    }));
  const gauge = (
    name: string,
    help: string,
    set: (g: Gauge, n: BusinessNumbers) => void,
    labels: string[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      async collect() {
        this.reset();
        set(this, await read());
      },
    });
  gauge(
    'business_orders',
    'Orders placed, confirmed and cancelled (cancelled by reason), from the business-metrics read model',
    (g, n) => {
      for (const outcome of ['placed', 'confirmed', 'cancelled'])
        if (!n.orders.some((r) => r.outcome === outcome)) g.labels(outcome, '').set(0);
      for (const row of n.orders) g.labels(row.outcome, row.reason).set(row.orders);
    },
    ['outcome', 'reason'],
  );
  gauge('business_order_success_ratio', 'Confirmed orders over confirmed and cancelled ones', (g, n) => {
    if (n.orderSuccessRate !== null) g.set(n.orderSuccessRate);
  });
  gauge('business_carts_with_items', 'Carts that have held items', (g, n) => g.set(n.cartsWithItems));
  gauge('business_carts_checked_out', 'Carts that held items and reached checkout', (g, n) =>
    g.set(n.cartsCheckedOut),
  );
  gauge('business_refund_ratio', 'Confirmed orders with money refunded, over confirmed orders', (g, n) => {
    if (n.refundRate !== null) g.set(n.refundRate);
  });
  gauge('business_return_ratio', 'Shipped orders a customer asked to return, over shipped orders', (g, n) => {
    if (n.returnRate !== null) g.set(n.returnRate);
  });
  gauge(
    'business_confirmation_to_shipment_seconds',
    'Mean time from an order confirmed to its first shipment, over shipped orders',
    (g, n) => {
      if (n.secondsToShipment !== null) g.set(n.secondsToShipment);
    },
  );
  gauge(
    'business_cart_abandonment_ratio',
    'Carts that held items and never reached checkout, over carts that held items',
    (g, n) => {
      if (n.cartAbandonmentRate !== null) g.set(n.cartAbandonmentRate);
    },
  );
}
