import { activeReservationsProjection } from '../sagas/checkout/reservation-expiry.ts';
import { checkoutQueueProjection } from '../sagas/checkout/saga-queue.ts';
import { businessMetricsProjection } from './business/index.ts';
import { orderHistoryProjection } from './orders/order-history.ts';
import { catalogProjection } from './catalog/index.ts';
import type { SqlProjection } from './runtime.ts';

/** Every PostgreSQL/PGlite read model the platform keeps up to date (each in a folder of its own). */
export const sqlProjections: readonly SqlProjection[] = [
  orderHistoryProjection,
  checkoutQueueProjection,
  activeReservationsProjection,
  catalogProjection,
  businessMetricsProjection,
];

/**
 * The tables each SQL projection writes (a rebuild builds copies of them beside the live ones and
 * swaps them in), or why the projection may not be rebuilt from position 0.
 */
export const projectionTables: Readonly<Record<string, readonly string[] | { refused: string }>> = {
  [orderHistoryProjection.name]: ['order_history'],
  [checkoutQueueProjection.name]: {
    refused:
      "its rows are the checkout saga's work queue, not a view of the log: the saga deletes an order's row " +
      'once the order needs nothing more and leases the rows it drives, so a replay would queue every order ' +
      'ever placed again',
  },
  // Derived from inventory events alone (no leases): the expiry timer finds the same rows after a swap.
  [activeReservationsProjection.name]: ['active_reservations'],
  [catalogProjection.name]: [
    'products',
    'product_availability',
    'catalog_facet_counts',
    'catalog_products_written',
  ],
  [businessMetricsProjection.name]: ['business_order_outcomes', 'business_carts'],
};
