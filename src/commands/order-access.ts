import type { Role } from '../identity/users.ts';
import type { OrderState, PlacedOrder } from '../domain/order/index.ts';

export type OrderReader = Readonly<{ userId: string; role: Role }>;

/**
 * Who sees an order: its customer, and auditors and admins any. To everyone else it does not exist,
 * as an order not placed does not.
 */
export const visibleTo = (order: OrderState, who: OrderReader): order is PlacedOrder =>
  order.status !== 'not_placed' &&
  (who.role === 'auditor' || who.role === 'admin' || order.customerId === who.userId);
