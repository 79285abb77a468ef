import type { Decider } from '../decider.ts';
import type { CartCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { CartError } from './errors.ts';
import type { CartEvent } from './events.ts';
import { evolve, initialState, type CartState } from './state.ts';

/** Stream `cart-<cartId>`: quantities above zero; a checked-out cart takes no more changes. */
export const cartDecider: Decider<CartCommand, CartEvent, CartState, CartError> = {
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
