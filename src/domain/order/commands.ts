import { z } from 'zod';
import { id, quantity, instant, reason } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';
import { nonNegativeMoney, positiveMoney } from '../money.ts';

export const orderLineData = z.object({ sku: id, quantity, unitPrice: nonNegativeMoney });

export const placeOrderData = z.object({
  orderId: id,
  customerId: id,
  lines: z.array(orderLineData),
  /** A gateway token such as `pm_card_visa`, never card data. */
  paymentMethod: id,
  placedAt: instant,
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
export const shipOrderData = z.object({ orderId: id, at: instant });
export const refundOrderData = z.object({ orderId: id, reason, at: instant });

export type PlaceOrder = DomainCommand<'PlaceOrder', z.infer<typeof placeOrderData>>;
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
export type ShipOrder = DomainCommand<'ShipOrder', z.infer<typeof shipOrderData>>;
export type RefundOrder = DomainCommand<'RefundOrder', z.infer<typeof refundOrderData>>;

export type OrderCommand =
  | PlaceOrder
  | RecordLineReserved
  | RejectForStock
  | RecordPaymentAuthorized
  | RecordPaymentFailed
  | ConfirmOrder
  | CancelOrder
  | ShipOrder
  | RefundOrder;
