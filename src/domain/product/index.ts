import type { Decider } from '../decider.ts';
import type { ProductCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { ProductError } from './errors.ts';
import type { ProductEvent } from './events.ts';
import { evolve, initialState, type ProductState } from './state.ts';

/** Stream `product-<sku>`: prices never below zero, in the currency fixed at listing. */
export const productDecider: Decider<ProductCommand, ProductEvent, ProductState, ProductError> = {
  decide,
  evolve,
  initialState,
};

export * from './commands.ts';
export * from './decide.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './state.ts';
export * from './stream.ts';
