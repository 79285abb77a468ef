import type { CartEvent } from './cart/index.ts';
import type { InventoryEvent } from './inventory/index.ts';
import type { OrderEvent } from './order/index.ts';
import type { PaymentEvent } from './payment/index.ts';
import type { ProductEvent } from './product/index.ts';

/**
 * Every event type name of one aggregate, as a runtime list. The compiler refuses a list that misses
 * a member of the aggregate's event union, so adding an event without registering it cannot build.
 */
const allOf =
  <E extends { type: string }>() =>
  <const T extends readonly E['type'][]>(
    types: [Exclude<E['type'], T[number]>] extends [never] ? T : never,
  ) =>
    types;

export const INVENTORY_EVENT_TYPES = allOf<InventoryEvent>()([
  'StockReceived',
  'StockAdjusted',
  'StockReserved',
  'ReservationCommitted',
  'ReservationReleased',
  'ReservationExpired',
  'ReservationReturned',
] as const);

export const ORDER_EVENT_TYPES = allOf<OrderEvent>()([
  'OrderPlaced',
  'OrderLineReserved',
  'OrderStockRejected',
  'OrderPaymentAuthorized',
  'OrderPaymentFailed',
  'OrderConfirmed',
  'OrderCancelled',
  'OrderShipped',
  'OrderRefunded',
  'OrderLinesShipped',
  'ShipmentDelivered',
  'ReturnRequested',
  'ReturnReceived',
  'OrderStockReturned',
  'RefundRequested',
  'RefundIssued',
  'RefundFailed',
  'OrderScreened',
  'OrderReviewed',
] as const);

export const CART_EVENT_TYPES = allOf<CartEvent>()([
  'CartItemAdded',
  'CartItemQuantityChanged',
  'CartItemRemoved',
  'CartMerged',
  'CartCheckedOut',
] as const);

export const PAYMENT_EVENT_TYPES = allOf<PaymentEvent>()([
  'PaymentRequested',
  'PaymentAuthorized',
  'PaymentFailed',
  'PaymentCaptured',
  'PaymentVoided',
  'PaymentRefunded',
] as const);

export const PRODUCT_EVENT_TYPES = allOf<ProductEvent>()([
  'ProductListed',
  'ProductDetailsChanged',
  'ProductPriceChanged',
  'ProductDelisted',
] as const);

/** What the event store accepts: an append of any other type is refused. */
export const DOMAIN_EVENT_TYPES: readonly string[] = [
  ...INVENTORY_EVENT_TYPES,
  ...ORDER_EVENT_TYPES,
  ...CART_EVENT_TYPES,
  ...PAYMENT_EVENT_TYPES,
  ...PRODUCT_EVENT_TYPES,
];
