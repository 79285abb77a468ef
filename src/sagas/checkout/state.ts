import { ORDER_EVENT_TYPES, PAYMENT_EVENT_TYPES } from '../../domain/event-types.ts';
import {
  orderDecider,
  type OrderEvent,
  type OrderState,
  type PlacedOrder,
} from '../../domain/order/index.ts';
import { paymentDecider, type PaymentEvent, type PaymentState } from '../../domain/payment/index.ts';

/** An event of the order's or the payment's stream as the saga reads it: with the id its effects name. */
export type CheckoutEvent = Readonly<{ eventId: string; type: string; data: unknown }>;

type ReadEventType = OrderEvent['type'] | PaymentEvent['type'];

/**
 * What the checkout saga knows of one order: the order and payment streams folded as their deciders
 * fold them, and the id of the latest event of each type, the causes its next commands name. The
 * streams are the saga's whole memory, so a worker that died is resumed exactly where it was.
 */
export type CheckoutState = Readonly<{
  order: OrderState;
  payment: PaymentState;
  eventIds: Readonly<Partial<Record<ReadEventType, string>>>;
}>;

export const initialState = (): CheckoutState => ({
  order: orderDecider.initialState(),
  payment: paymentDecider.initialState(),
  eventIds: {},
});

const orderTypes: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);
const paymentTypes: ReadonlySet<string> = new Set(PAYMENT_EVENT_TYPES);

export function evolve(state: CheckoutState, event: CheckoutEvent): CheckoutState {
  const domainEvent = { type: event.type, data: event.data };
  if (orderTypes.has(event.type))
    return {
      ...state,
      order: orderDecider.evolve(state.order, domainEvent as OrderEvent),
      eventIds: { ...state.eventIds, [event.type]: event.eventId },
    };
  if (paymentTypes.has(event.type))
    return {
      ...state,
      payment: paymentDecider.evolve(state.payment, domainEvent as PaymentEvent),
      eventIds: { ...state.eventIds, [event.type]: event.eventId },
    };
  return state;
}

/** The id of the latest event of the first of `types` the streams hold. */
export function idOf(state: CheckoutState, ...types: readonly ReadEventType[]): string {
  for (const type of types) {
    const id = state.eventIds[type];
    if (id !== undefined) return id;
  }
  throw new Error(`the order's streams hold no ${types.join(' or ')} event`);
}

/** The order, which the saga only ever drives once it was placed. */
export function placed(state: CheckoutState): PlacedOrder {
  if (state.order.status === 'not_placed') throw new Error('the order was never placed');
  return state.order;
}
