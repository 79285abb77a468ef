import type { Decider } from '../decider.ts';
import type { PaymentCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { PaymentError } from './errors.ts';
import type { PaymentEvent } from './events.ts';
import { evolve, initialState, type PaymentState } from './state.ts';

/** Stream `payment-<orderId>`: an order is never charged twice; card data never enters it. */
export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState, PaymentError> = {
  decide,
  evolve,
  initialState,
};

export * from './card-data.ts';
export * from './commands.ts';
export * from './decide.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './state.ts';
export * from './stream.ts';
