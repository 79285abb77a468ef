import type { DomainEvent } from '../decider.ts';
import type { FraudDecision } from '../fraud/rules.ts';
import type { Money } from '../money.ts';

export type PricedLine = Readonly<{ sku: string; quantity: number; unitPrice: Money; lineTotal: Money }>;

/**
 * Lines sorted by SKU; line totals and the total are fixed here and never change afterwards.
 * `clientKey`: a keyed hash of the client's address (never the address), when one was known.
 */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  {
    orderId: string;
    customerId: string;
    lines: readonly PricedLine[];
    total: Money;
    paymentMethod: string;
    placedAt: string;
    clientKey?: string;
  }
>;
/**
 * The fraud rules' decision on a placed order, before any stock is reserved: `rule` is the one that
 * decided (null when none fired), `measures` what the rules measured. `enforced` false: recorded in
 * shadow mode, the order goes on as if allowed. Enforced, `review` holds the order for an admin and
 * `block` comes with the order's cancellation (`fraud_suspected`) in the same append.
 */
export type OrderScreened = DomainEvent<
  'OrderScreened',
  {
    orderId: string;
    decision: FraudDecision;
    rule: string | null;
    enforced: boolean;
    measures: Readonly<Record<string, number | null>>;
    at: string;
  }
>;
/** An admin's decision on an order held for review: approved, it goes on; rejected, it is cancelled with it. */
export type OrderReviewed = DomainEvent<
  'OrderReviewed',
  { orderId: string; decision: 'approve' | 'reject'; at: string }
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
/** `afterPayment`: an admin cancelled a confirmed order; its stock and money go back (refund process). */
export type OrderCancelled = DomainEvent<
  'OrderCancelled',
  { orderId: string; reason: string; at: string; afterPayment?: boolean }
>;

/**
 * Before partial fulfilment (kept readable, no longer decided): the whole order shipped at once, and
 * the whole total refunded. `evolve` reads the first as one shipment of every line.
 */
export type OrderShipped = DomainEvent<'OrderShipped', { orderId: string; at: string }>;
export type OrderRefunded = DomainEvent<
  'OrderRefunded',
  { orderId: string; amount: Money; reason: string; at: string }
>;

export type SkuQuantity = Readonly<{ sku: string; quantity: number }>;

export type OrderLinesShipped = DomainEvent<
  'OrderLinesShipped',
  {
    orderId: string;
    shipmentId: string;
    lines: readonly SkuQuantity[];
    carrier: string;
    trackingNumber: string;
    at: string;
  }
>;
export type ShipmentDelivered = DomainEvent<
  'ShipmentDelivered',
  { orderId: string; shipmentId: string; at: string }
>;
export type ReturnRequested = DomainEvent<
  'ReturnRequested',
  { orderId: string; returnId: string; lines: readonly SkuQuantity[]; reason: string; at: string }
>;
/** What came back, line by line: `restock` units go back on hand, the others are written off. */
export type ReturnReceived = DomainEvent<
  'ReturnReceived',
  {
    orderId: string;
    returnId: string;
    lines: readonly Readonly<{ sku: string; quantity: number; restock: boolean }>[];
    at: string;
  }
>;
/** Units of the order are on hand again: restocked from a return, or held by an order cancelled after payment. */
export type OrderStockReturned = DomainEvent<
  'OrderStockReturned',
  { orderId: string; sku: string; quantity: number; returnId: string | null; at: string }
>;
/** Money promised back; the refund process gives it through the gateway (payment stream) and records it here. */
export type RefundRequested = DomainEvent<
  'RefundRequested',
  { orderId: string; refundId: string; amount: Money; reason: string; at: string }
>;
export type RefundIssued = DomainEvent<
  'RefundIssued',
  { orderId: string; refundId: string; amount: Money; at: string }
>;
/** `retryable`: the process tries again with the same key; otherwise the refund is rejected. */
export type RefundFailed = DomainEvent<
  'RefundFailed',
  { orderId: string; refundId: string; reason: string; retryable: boolean; at: string }
>;

export type OrderEvent =
  | OrderPlaced
  | OrderScreened
  | OrderReviewed
  | OrderLineReserved
  | OrderStockRejected
  | OrderPaymentAuthorized
  | OrderPaymentFailed
  | OrderConfirmed
  | OrderCancelled
  | OrderShipped
  | OrderRefunded
  | OrderLinesShipped
  | ShipmentDelivered
  | ReturnRequested
  | ReturnReceived
  | OrderStockReturned
  | RefundRequested
  | RefundIssued
  | RefundFailed;
