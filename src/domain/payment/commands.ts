import { z } from 'zod';
import { id, instant, reason } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';
import { positiveMoney } from '../money.ts';

export const requestPaymentData = z.object({
  orderId: id,
  amount: positiveMoney,
  /** A gateway token such as `pm_card_visa`, never card data. */
  paymentMethod: id,
  /** Order id plus attempt number: the gateway charges once per key, however often we retry. */
  idempotencyKey: id,
  attempt: z.int().positive(),
  at: instant,
});
export const recordAuthorizationData = z.object({
  orderId: id,
  gatewayRef: id,
  amount: positiveMoney,
  at: instant,
});
export const recordPaymentFailureData = z.object({ orderId: id, reason, at: instant });
export const recordCaptureData = z.object({ orderId: id, at: instant });
export const recordVoidData = z.object({ orderId: id, reason, at: instant });
export const recordRefundData = z.object({
  orderId: id,
  amount: positiveMoney,
  /** The order's refund this money went back for (the refund process); absent: a cancelled checkout's. */
  refundId: id.optional(),
  at: instant,
});

export type RequestPayment = DomainCommand<'RequestPayment', z.infer<typeof requestPaymentData>>;
/** The Record* commands state what the gateway answered: facts to record, not wishes. */
export type RecordAuthorization = DomainCommand<
  'RecordAuthorization',
  z.infer<typeof recordAuthorizationData>
>;
export type RecordPaymentFailure = DomainCommand<
  'RecordPaymentFailure',
  z.infer<typeof recordPaymentFailureData>
>;
export type RecordCapture = DomainCommand<'RecordCapture', z.infer<typeof recordCaptureData>>;
export type RecordVoid = DomainCommand<'RecordVoid', z.infer<typeof recordVoidData>>;
export type RecordRefund = DomainCommand<'RecordRefund', z.infer<typeof recordRefundData>>;

export type PaymentCommand =
  RequestPayment | RecordAuthorization | RecordPaymentFailure | RecordCapture | RecordVoid | RecordRefund;
