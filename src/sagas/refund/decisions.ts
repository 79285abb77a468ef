import type { Money } from '../../domain/money.ts';
import type { OrderSend, ProcessDecision } from '../process-decisions.ts';

/** What the refund process reacts to, what it decides, and the commands it sends (`decide.ts`). */

/** Named points of the process, told to the executor's `onStep` hook (where crash tests stop a worker). */
export type RefundMilestone =
  | 'refund-before-first-step'
  /** The gateway refunded (or voided); nothing about it is recorded yet. */
  | 'refund-after-gateway'
  /** The payment stream recorded the refund; the order has not heard yet. */
  | 'refund-after-payment-record'
  /** The order recorded the refund issued. */
  | 'refund-after-issued'
  /** Units are back on hand; the order has not recorded it yet. */
  | 'refund-after-stock';

/** What the gateway said to a refund or a void: done, or a failure it may (retryable) or will not turn around. */
export type GatewayAnswer =
  Readonly<{ outcome: 'done' }> | Readonly<{ outcome: 'failed'; reason: string; retryable: boolean }>;

export type RefundInput =
  /** The process looks at the order's streams: what now? */
  | Readonly<{ type: 'Resume'; at: string }>
  /** Units of a line (`returnId` null: of a cancelled order) are back on hand. */
  | Readonly<{ type: 'StockReturned'; at: string; sku: string; quantity: number; returnId: string | null }>
  | Readonly<{ type: 'RefundAnswered'; at: string; refundId: string; answer: GatewayAnswer }>
  | Readonly<{ type: 'VoidAnswered'; at: string; refundId: string; answer: GatewayAnswer }>;

export type AnswerTo<T extends RefundInput['type']> = Extract<RefundInput, { type: T }>;

/** A command to the order's or the payment's stream, and the id of the event that caused it. */
export type Send = OrderSend;

/** What the process asks the outside world; the executor feeds the answer back as the next input. */
export type Ask =
  /** The order's committed reservation of `sku` back on hand (an order cancelled after payment). */
  | Readonly<{
      kind: 'returnReservation';
      sku: string;
      quantity: number;
      reason: string;
      causationId: string;
    }>
  /**
   * Received units back on hand, once: the executor first looks for the adjustment among the SKU's
   * events since `since` (a crash after adjusting, before recording it, must not count them twice).
   */
  | Readonly<{
      kind: 'restock';
      sku: string;
      quantity: number;
      returnId: string;
      reason: string;
      since: string;
      causationId: string;
    }>
  | Readonly<{ kind: 'refund'; refundId: string; gatewayRef: string; amount: Money; idempotencyKey: string }>
  | Readonly<{ kind: 'void'; refundId: string; gatewayRef: string; idempotencyKey: string }>;

/** On `Resume`, `step` is the step the order is at (for metrics). */
export type Decision = ProcessDecision<Send, Ask, RefundMilestone, string>;

export { done, resume, sending } from '../process-decisions.ts';

/** The gateway's key for one refund: the same on every retry, so it is refunded once however often we ask. */
export const refundKey = (orderId: string, refundId: string) => `${orderId}:refund:${refundId}`;

/** The key of the void of an order's hold (the checkout saga voids under the same one). */
export const voidKey = (orderId: string) => `${orderId}:void`;

/** The reason on the inventory stream that marks a return's units as restocked. */
export const restockReason = (returnId: string) => `return ${returnId}`;
