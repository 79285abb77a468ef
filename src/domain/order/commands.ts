import { z } from 'zod';
import { id, quantity, instant, reason } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';
import { FRAUD_DECISIONS } from '../fraud/rules.ts';
import { nonNegativeMoney, positiveMoney } from '../money.ts';

export const orderLineData = z.object({ sku: id, quantity, unitPrice: nonNegativeMoney });

export const placeOrderData = z.object({
  orderId: id,
  customerId: id,
  lines: z.array(orderLineData),
  /** A gateway token such as `pm_card_visa`, never card data. */
  paymentMethod: id,
  placedAt: instant,
  /** A keyed hash of the client's address (the fraud rules count orders per address), never the address. */
  clientKey: z
    .string()
    .regex(/^[\w-]{8,100}$/, 'must be a keyed hash, not an address')
    .optional(),
});
export const screenOrderData = z
  .object({
    orderId: id,
    decision: z.enum(FRAUD_DECISIONS),
    rule: id.nullable(),
    enforced: z.boolean(),
    measures: z
      .record(z.string().max(100), z.int().nullable())
      .refine((measures) => Object.keys(measures).length <= 50, 'at most 50 measures'),
    at: instant,
  })
  .refine((data) => (data.decision === 'allow') === (data.rule === null), {
    message: 'a rule decides a review or a block; an allow names none',
    path: ['rule'],
  });
export const reviewOrderData = z.object({
  orderId: id,
  decision: z.enum(['approve', 'reject']),
  at: instant,
});
export const recordLineReservedData = z.object({ orderId: id, sku: id, quantity, at: instant });
export const rejectForStockData = z.object({
  orderId: id,
  sku: id,
  requested: quantity,
  available: z.int().nonnegative(),
  at: instant,
});
export const recordPaymentAuthorizedData = z.object({
  orderId: id,
  paymentId: id,
  amount: positiveMoney,
  at: instant,
});
export const recordPaymentFailedData = z.object({ orderId: id, reason, at: instant });
export const confirmOrderData = z.object({ orderId: id, at: instant });
export const cancelOrderData = z.object({ orderId: id, reason, at: instant });

const skuQuantity = z.object({ sku: id, quantity });
/** One line per SKU: the same SKU twice in one shipment or return is refused as a duplicate. */
const skuLines = z.array(skuQuantity).min(1).max(200);
const label = z
  .string()
  .max(200)
  .regex(/^\S(?:.*\S)?$/, 'must not be blank or padded');

export const shipOrderLinesData = z.object({
  orderId: id,
  shipmentId: id,
  lines: skuLines,
  carrier: label,
  trackingNumber: label,
  at: instant,
});
export const markShipmentDeliveredData = z.object({ orderId: id, shipmentId: id, at: instant });
export const cancelConfirmedOrderData = z.object({
  orderId: id,
  reason,
  /** The refund of what was paid (deterministic: one cancellation per order). */
  refundId: id,
  at: instant,
});
export const requestReturnData = z.object({
  orderId: id,
  returnId: id,
  lines: skuLines,
  reason,
  at: instant,
  /** The return window (RETURN_WINDOW_DAYS) in days: configuration, passed in, so the domain has no clock. */
  windowDays: z.number().positive().max(3650),
});
export const receiveReturnData = z.object({
  orderId: id,
  returnId: id,
  lines: z
    .array(z.object({ sku: id, quantity, restock: z.boolean() }))
    .min(1)
    .max(200),
  /** The refund of the received units (deterministic: one receipt per return). */
  refundId: id,
  at: instant,
});
export const recordStockReturnedData = z.object({
  orderId: id,
  sku: id,
  quantity,
  /** The return whose units were restocked; null: the units an order cancelled after payment held. */
  returnId: id.nullable(),
  at: instant,
});
export const requestRefundData = z.object({
  orderId: id,
  refundId: id,
  amount: positiveMoney,
  reason,
  at: instant,
});
export const recordRefundIssuedData = z.object({ orderId: id, refundId: id, at: instant });
export const recordRefundFailedData = z.object({
  orderId: id,
  refundId: id,
  reason,
  /** The gateway may still do it (timeout, unavailable): retried with the same key. Else the refund is rejected. */
  retryable: z.boolean(),
  at: instant,
});

export type PlaceOrder = DomainCommand<'PlaceOrder', z.infer<typeof placeOrderData>>;
/** The checkout saga records the fraud rules' decision before it reserves any stock. */
export type ScreenOrder = DomainCommand<'ScreenOrder', z.infer<typeof screenOrderData>>;
/** An admin approves or rejects an order held for review. */
export type ReviewOrder = DomainCommand<'ReviewOrder', z.infer<typeof reviewOrderData>>;
/** Progress records of the checkout saga: the order stream is where it resumes after a crash. */
export type RecordLineReserved = DomainCommand<'RecordLineReserved', z.infer<typeof recordLineReservedData>>;
export type RejectForStock = DomainCommand<'RejectForStock', z.infer<typeof rejectForStockData>>;
export type RecordPaymentAuthorized = DomainCommand<
  'RecordPaymentAuthorized',
  z.infer<typeof recordPaymentAuthorizedData>
>;
export type RecordPaymentFailed = DomainCommand<
  'RecordPaymentFailed',
  z.infer<typeof recordPaymentFailedData>
>;
export type ConfirmOrder = DomainCommand<'ConfirmOrder', z.infer<typeof confirmOrderData>>;
export type CancelOrder = DomainCommand<'CancelOrder', z.infer<typeof cancelOrderData>>;
/** Fulfilment (admin): part or all of a confirmed order leaves the warehouse; a shipment arrives. */
export type ShipOrderLines = DomainCommand<'ShipOrderLines', z.infer<typeof shipOrderLinesData>>;
export type MarkShipmentDelivered = DomainCommand<
  'MarkShipmentDelivered',
  z.infer<typeof markShipmentDeliveredData>
>;
/** An admin cancels a paid order before anything shipped: its stock goes back, its money is refunded. */
export type CancelConfirmedOrder = DomainCommand<
  'CancelConfirmedOrder',
  z.infer<typeof cancelConfirmedOrderData>
>;
export type RequestReturn = DomainCommand<'RequestReturn', z.infer<typeof requestReturnData>>;
export type ReceiveReturn = DomainCommand<'ReceiveReturn', z.infer<typeof receiveReturnData>>;
/** Progress record of the refund process: units went back on hand through the inventory stream. */
export type RecordStockReturned = DomainCommand<
  'RecordStockReturned',
  z.infer<typeof recordStockReturnedData>
>;
export type RequestRefund = DomainCommand<'RequestRefund', z.infer<typeof requestRefundData>>;
/** Progress records of the refund process: what the gateway did with a requested refund. */
export type RecordRefundIssued = DomainCommand<'RecordRefundIssued', z.infer<typeof recordRefundIssuedData>>;
export type RecordRefundFailed = DomainCommand<'RecordRefundFailed', z.infer<typeof recordRefundFailedData>>;

export type OrderCommand =
  | PlaceOrder
  | ScreenOrder
  | ReviewOrder
  | RecordLineReserved
  | RejectForStock
  | RecordPaymentAuthorized
  | RecordPaymentFailed
  | ConfirmOrder
  | CancelOrder
  | ShipOrderLines
  | MarkShipmentDelivered
  | CancelConfirmedOrder
  | RequestReturn
  | ReceiveReturn
  | RecordStockReturned
  | RequestRefund
  | RecordRefundIssued
  | RecordRefundFailed;
