import { measuresOf, screen, type CustomerFacts } from '../../domain/fraud/index.ts';
import type { Money } from '../../domain/money.ts';
import type { PlacedOrder } from '../../domain/order/index.ts';
import { resume, sending, type AnswerTo, type CheckoutSettings, type Decision } from './decisions.ts';
import { idOf, placed, type CheckoutState } from './state.ts';

/**
 * The checkout process's fraud step: before any stock is reserved it asks what the read models know of
 * the customer up to this order, and records the rules' decision on the order (`ScreenOrder`), caused
 * by the placement like every step before the reservations.
 */

/** What the rules need to know the customer's facts up to an order. */
export type ScreeningRequest = Readonly<{
  orderId: string;
  customerId: string;
  clientKey: string | null;
  paymentMethod: string;
  amount: Money;
  placedAt: string;
}>;

/**
 * Where the facts come from (src/projections/fraud/): counted from every event of the log up to the
 * order's placement at least, never from a read model that has not got that far yet.
 */
export type CustomerFactsReader = Readonly<{
  factsUpTo(request: ScreeningRequest): Promise<CustomerFacts>;
}>;

export const screeningRequest = (order: PlacedOrder): ScreeningRequest => ({
  orderId: order.orderId,
  customerId: order.customerId,
  clientKey: order.clientKey ?? null,
  paymentMethod: order.paymentMethod,
  amount: order.total,
  placedAt: order.placedAt,
});

/** The rules' verdict on the facts, recorded on the order: in shadow mode as a decision that does not act. */
export function onScreening(
  state: CheckoutState,
  { at, facts }: AnswerTo<'ScreeningAnswered'>,
  settings: CheckoutSettings,
): Decision {
  const order = placed(state);
  const policy = settings.fraud;
  if (!policy) return { send: [], then: resume }; // the rules were turned off meanwhile: nothing to record
  const { decision, rule } = screen(facts, policy);
  const record = sending(order, at).order(
    'ScreenOrder',
    { decision, rule, enforced: policy.mode === 'enforce', measures: measuresOf(facts) },
    idOf(state, 'OrderPlaced'),
  );
  return { send: [record], reached: 'after-screening', then: resume };
}
