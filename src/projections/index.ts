import { businessMetricsProjection } from './business/index.ts';
import { catalogProjection } from './catalog/index.ts';
import { orderHistoryProjection } from './orders/order-history.ts';
import type { SqlProjection } from '../subscriptions/index.ts';

/** The read models kept in PostgreSQL/PGlite, each in a folder of its own. */
export const readModelProjections: readonly SqlProjection[] = [
  orderHistoryProjection,
  catalogProjection,
  businessMetricsProjection,
];
