import { activeReservationsProjection } from '../sagas/checkout/reservation-expiry.ts';
import { checkoutQueueProjection } from '../sagas/checkout/saga-queue.ts';
import { orderHistoryProjection } from './orders/order-history.ts';
import { catalogProjection } from './catalog/index.ts';
import type { SqlProjection } from './runtime.ts';

/** Every PostgreSQL/PGlite read model the platform keeps up to date (each in a folder of its own). */
export const sqlProjections: readonly SqlProjection[] = [
  orderHistoryProjection,
  checkoutQueueProjection,
  activeReservationsProjection,
  catalogProjection,
];
