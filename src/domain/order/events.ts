import type { DomainEvent } from '../decider.ts';
import type { Money } from '../money.ts';

export type PricedLine = Readonly<{ sku: string; quantity: number; unitPrice: Money; lineTotal: Money }>;

/** Lines sorted by SKU; line totals and the total are fixed here and never change afterwards. */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  {
    orderId: string;
    customerId: string;
    lines: readonly PricedLine[];
    total: Money;
    paymentMethod: string;
    placedAt: string;
  }
>;
export type OrderLineReserved = DomainEvent<
  'OrderLineReserved',
  { orderId: string; sku: string; quantity: number; at: string }
>;
export type OrderStockRejected = DomainEvent<
  'OrderStockRejected',
  { orderId: string; sku: string; requested: number; available: number; at: string }
>;
export type OrderPaymentAuthorized = DomainEvent<
  'OrderPaymentAuthorized',
  { orderId: string; paymentId: string; amount: Money; at: string }
>;
export type OrderPaymentFailed = DomainEvent<
  'OrderPaymentFailed',
  { orderId: string; reason: string; at: string }
>;
export type OrderConfirmed = DomainEvent<'OrderConfirmed', { orderId: string; at: string }>;
export type OrderCancelled = DomainEvent<'OrderCancelled', { orderId: string; reason: string; at: string }>;
export type OrderShipped = DomainEvent<'OrderShipped', { orderId: string; at: string }>;
export type OrderRefunded = DomainEvent<
  'OrderRefunded',
  { orderId: string; amount: Money; reason: string; at: string }
>;

export type OrderEvent =
  | OrderPlaced
  | OrderLineReserved
  | OrderStockRejected
  | OrderPaymentAuthorized
  | OrderPaymentFailed
  | OrderConfirmed
  | OrderCancelled
  | OrderShipped
  | OrderRefunded;
