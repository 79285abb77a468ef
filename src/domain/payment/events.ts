import type { DomainEvent } from '../decider.ts';
import type { Money } from '../money.ts';

export type PaymentRequested = DomainEvent<
  'PaymentRequested',
  {
    orderId: string;
    amount: Money;
    paymentMethod: string;
    idempotencyKey: string;
    attempt: number;
    at: string;
  }
>;
export type PaymentAuthorized = DomainEvent<
  'PaymentAuthorized',
  { orderId: string; gatewayRef: string; amount: Money; at: string }
>;
export type PaymentFailed = DomainEvent<
  'PaymentFailed',
  { orderId: string; attempt: number; reason: string; at: string }
>;
export type PaymentCaptured = DomainEvent<
  'PaymentCaptured',
  { orderId: string; gatewayRef: string; amount: Money; at: string }
>;
export type PaymentVoided = DomainEvent<
  'PaymentVoided',
  { orderId: string; gatewayRef: string; reason: string; at: string }
>;
/** `refundId`: the order's refund it carried out (absent on a cancelled checkout's refund, and on old events). */
export type PaymentRefunded = DomainEvent<
  'PaymentRefunded',
  { orderId: string; amount: Money; at: string; refundId?: string }
>;

export type PaymentEvent =
  PaymentRequested | PaymentAuthorized | PaymentFailed | PaymentCaptured | PaymentVoided | PaymentRefunded;
