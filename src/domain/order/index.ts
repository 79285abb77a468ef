import type { Decider } from '../decider.ts';
import type { OrderCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { OrderError } from './errors.ts';
import type { OrderEvent } from './events.ts';
import { evolve, initialState, type OrderState } from './state.ts';

/** Stream `order-<orderId>`: legal status transitions only, totals fixed at placement. */
export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState, OrderError> = {
  decide,
  evolve,
  initialState,
};

export * from './after-sale.ts';
export * from './commands.ts';
export * from './decide.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './pricing.ts';
export * from './queries.ts';
export * from './state.ts';
export * from './stream.ts';
