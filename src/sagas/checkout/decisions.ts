import type { CustomerFacts, FraudPolicy } from '../../domain/fraud/index.ts';
import type { InventoryCommand } from '../../domain/inventory/index.ts';
import type { Money } from '../../domain/money.ts';
import type { PlacedOrder } from '../../domain/order/index.ts';
import type { Authorization, AuthorizeRequest } from '../../payments/payment-gateway.ts';
import { sending as sendingAbout, type OrderSend, type ProcessDecision } from '../process-decisions.ts';
import type { SagaStep } from './next-step.ts';
import type { ScreeningRequest } from './screening.ts';
import { idOf, placed, type CheckoutState } from './state.ts';

/** What the checkout process reacts to, what it decides, and the commands it sends (`decide.ts`). */

export type CheckoutSettings = Readonly<{
  /** How long a reservation holds stock for an order that is not yet confirmed. */
  reservationTtlMs: number;
  /**
   * How long after cancelling an order the saga keeps asking the gateway whether a timed-out
   * authorization went through after all (to void it). Past that, a webhook has to tell us.
   */
  unknownAnswerGraceMs: number;
  /** The fraud rules in force (FRAUD_RULES enforce or shadow); absent (off): orders are not screened. */
  fraud?: FraudPolicy;
}>;

/** Named points of the process, told to the executor's `onStep` hook (where crash tests stop a worker). */
export type Milestone =
  | 'before-first-step'
  | 'after-screening'
  | 'mid-reservation'
  | 'after-reservation'
  | 'after-authorization'
  | 'after-confirmation'
  | 'after-capture';

export type CheckoutInput =
  /** The saga looks at the order's streams: what now? */
  | Readonly<{ type: 'Resume'; at: string }>
  /** What the read models know of the customer up to the order (`ScreeningRequest`). */
  | Readonly<{ type: 'ScreeningAnswered'; at: string; facts: CustomerFacts }>
  | Readonly<{
      type: 'ReservationAnswered';
      sku: string;
      at: string;
      /** `eventId`: the `StockReserved`, or the event that ended the reservation before it could be made. */
      answer:
        | Readonly<{ outcome: 'reserved'; eventId: string }>
        | Readonly<{ outcome: 'short'; available: number }>
        | Readonly<{ outcome: 'ended'; eventId: string }>;
    }>
  | Readonly<{
      type: 'CommitAnswered';
      at: string;
      /** `eventId`: the event that ended a reservation before it could be committed. */
      answer: Readonly<{ outcome: 'committed' }> | Readonly<{ outcome: 'ended'; eventId: string }>;
    }>
  /** `committedSkus`: reservations that could not be released because they were committed already. */
  | Readonly<{ type: 'ReleaseAnswered'; at: string; committedSkus: readonly string[] }>
  | Readonly<{ type: 'AuthorizationAnswered'; at: string; answer: Authorization }>
  | Readonly<{ type: 'CaptureAnswered'; at: string }>
  | Readonly<{ type: 'VoidAnswered'; at: string }>
  | Readonly<{ type: 'RefundAnswered'; at: string }>;

export type AnswerTo<T extends CheckoutInput['type']> = Extract<CheckoutInput, { type: T }>;

/** A command to one of the order's streams (or a SKU's inventory), and the id of the event that caused it. */
export type Send =
  OrderSend | Readonly<{ to: 'inventory'; sku: string; command: InventoryCommand; causationId: string }>;

export type InventorySend = Extract<Send, { to: 'inventory' }>;

/** Something the process asks the outside world; the executor feeds the answer back as the next input. */
export type Ask =
  | Readonly<{ kind: 'screen'; request: ScreeningRequest }>
  | Readonly<{ kind: 'reserve'; send: InventorySend }>
  | Readonly<{ kind: 'commit'; sends: readonly InventorySend[] }>
  | Readonly<{ kind: 'release'; sends: readonly InventorySend[] }>
  /** `retry`: timeouts are retried with the same key; else one try, a timeout answering `gateway_timeout`. */
  | Readonly<{ kind: 'authorize'; request: AuthorizeRequest; retry: boolean; answered?: Milestone }>
  | Readonly<{ kind: 'capture'; gatewayRef: string; idempotencyKey: string; answered: Milestone }>
  | Readonly<{ kind: 'void'; gatewayRef: string; idempotencyKey: string }>
  | Readonly<{ kind: 'refund'; gatewayRef: string; amount: Money; idempotencyKey: string }>;

export type Decision = ProcessDecision<Send, Ask, Milestone, SagaStep['kind']>;

export { done, resume } from '../process-decisions.ts';

/** Builds the commands the process sends about `order` at `at`, each naming the event that caused it. */
export const sending = (order: PlacedOrder, at: string) => ({
  ...sendingAbout(order, at),
  /** The order's reservation (its id is the order's) of one SKU. */
  inventory: <T extends InventoryCommand['type']>(
    sku: string,
    type: T,
    data: Omit<Extract<InventoryCommand, { type: T }>['data'], 'reservationId' | 'now'>,
    causationId: string,
  ): InventorySend => ({
    to: 'inventory',
    sku,
    command: { type, data: { ...data, reservationId: order.orderId, now: at } } as InventoryCommand,
    causationId,
  }),
});

/** The record of the gateway's answer to an authorization, caused by the request it answers. */
export function recordAnswer(state: CheckoutState, at: string, answer: Authorization): Send {
  const order = placed(state);
  const send = sending(order, at);
  const request = idOf(state, 'PaymentRequested');
  return answer.status === 'authorized'
    ? send.payment('RecordAuthorization', { gatewayRef: answer.gatewayRef, amount: order.total }, request)
    : send.payment('RecordPaymentFailure', { reason: answer.reason }, request);
}

export const authorization = (order: PlacedOrder, idempotencyKey: string): AuthorizeRequest => ({
  orderId: order.orderId,
  amount: order.total,
  paymentMethod: order.paymentMethod,
  idempotencyKey,
  customerId: order.customerId,
});
