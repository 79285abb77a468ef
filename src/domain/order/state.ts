import type { Money } from '../money.ts';
import type { OrderEvent, PricedLine } from './events.ts';

export type OrderStatus = 'pending' | 'confirmed' | 'cancelled' | 'shipped' | 'refunded';

export type PlacedOrder = Readonly<{
  status: OrderStatus;
  orderId: string;
  customerId: string;
  lines: readonly PricedLine[];
  total: Money;
  paymentMethod: string;
  /** Where the checkout saga is: which lines hold stock, whether the money is there. */
  reservedSkus: readonly string[];
  stockRejection: Readonly<{ sku: string; requested: number; available: number }> | null;
  paymentAuthorized: boolean;
  paymentId: string | null;
  paymentFailureReason: string | null;
  cancellationReason: string | null;
  placedAt: string;
  updatedAt: string;
}>;

export type OrderState = Readonly<{ status: 'not_placed' }> | PlacedOrder;

export const initialState = (): OrderState => ({ status: 'not_placed' });

/** The events that move an order's status, and the status each leaves it in (as `evolve` does). */
export const ORDER_STATUS_AFTER = {
  OrderPlaced: 'pending',
  OrderConfirmed: 'confirmed',
  OrderCancelled: 'cancelled',
  OrderShipped: 'shipped',
  OrderRefunded: 'refunded',
} as const satisfies Partial<Record<OrderEvent['type'], OrderStatus>>;

export const evolve = (state: OrderState, event: OrderEvent): OrderState => {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, lines, total, paymentMethod, placedAt } = event.data;
    return {
      status: ORDER_STATUS_AFTER.OrderPlaced,
      orderId,
      customerId,
      lines,
      total,
      paymentMethod,
      reservedSkus: [],
      stockRejection: null,
      paymentAuthorized: false,
      paymentId: null,
      paymentFailureReason: null,
      cancellationReason: null,
      placedAt,
      updatedAt: placedAt,
    };
  }
  if (state.status === 'not_placed') return state;
  const { at } = event.data;
  switch (event.type) {
    case 'OrderLineReserved':
      return { ...state, reservedSkus: [...state.reservedSkus, event.data.sku].sort(), updatedAt: at };
    case 'OrderStockRejected': {
      const { sku, requested, available } = event.data;
      return { ...state, stockRejection: { sku, requested, available }, updatedAt: at };
    }
    case 'OrderPaymentAuthorized':
      return { ...state, paymentAuthorized: true, paymentId: event.data.paymentId, updatedAt: at };
    case 'OrderPaymentFailed':
      return { ...state, paymentFailureReason: event.data.reason, updatedAt: at };
    case 'OrderConfirmed':
      return { ...state, status: ORDER_STATUS_AFTER[event.type], updatedAt: at };
    case 'OrderCancelled':
      return {
        ...state,
        status: ORDER_STATUS_AFTER[event.type],
        cancellationReason: event.data.reason,
        updatedAt: at,
      };
    case 'OrderShipped':
      return { ...state, status: ORDER_STATUS_AFTER[event.type], updatedAt: at };
    case 'OrderRefunded':
      return { ...state, status: ORDER_STATUS_AFTER[event.type], updatedAt: at };
  }
};
