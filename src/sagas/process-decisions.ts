import type { OrderCommand, PlacedOrder } from '../domain/order/index.ts';
import type { PaymentCommand } from '../domain/payment/index.ts';

/** The shape of what the checkout and refund processes decide (their `decisions.ts` fill it in). */

/** What a process decides on one input: commands to send, then what its executor does next. */
export type ProcessDecision<Send, Ask, Milestone, Step> = Readonly<{
  /** Sent first, all at once (records for one stream go to the store together). */
  send: readonly Send[];
  /** Reached once `send` is recorded. */
  reached?: Milestone;
  /** Then: ask, read the streams and decide again, stop (nothing left to do), or give up for now. */
  then:
    | Ask
    | Readonly<{ kind: 'resume' }>
    | Readonly<{ kind: 'done' }>
    | Readonly<{ kind: 'retryLater'; reason: string }>;
  /** On `Resume`: the step the order is at (for metrics and the worker's bookkeeping). */
  step?: Step;
}>;

export const resume = { kind: 'resume' } as const;
export const done = { kind: 'done' } as const;

/** A command to the order's or the payment's stream, and the id of the event that caused it. */
export type OrderSend =
  | Readonly<{ to: 'order'; command: OrderCommand; causationId: string }>
  | Readonly<{ to: 'payment'; command: PaymentCommand; causationId: string }>;

// The order's id and the instant go into every command about the order; the caller says the rest.
type About<Union extends { type: string; data: unknown }, T extends Union['type']> = Omit<
  Extract<Union, { type: T }>['data'],
  'orderId' | 'at'
>;

/** Builds the commands a process sends about `order` at `at`, each naming the event that caused it. */
export const sending = (order: PlacedOrder, at: string) => ({
  order: <T extends OrderCommand['type']>(
    type: T,
    data: About<OrderCommand, T>,
    causationId: string,
  ): OrderSend => ({
    to: 'order',
    command: { type, data: { orderId: order.orderId, ...data, at } } as OrderCommand,
    causationId,
  }),
  payment: <T extends PaymentCommand['type']>(
    type: T,
    data: About<PaymentCommand, T>,
    causationId: string,
  ): OrderSend => ({
    to: 'payment',
    command: { type, data: { orderId: order.orderId, ...data, at } } as PaymentCommand,
    causationId,
  }),
});
