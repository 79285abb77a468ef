import type { Decider } from '../decider.ts';
import type { InventoryCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { InventoryError } from './errors.ts';
import type { InventoryEvent } from './events.ts';
import { evolve, initialState, type InventoryState } from './state.ts';

/** Stream `inventory-<sku>`: on hand minus reserved never drops below zero. */
export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState, InventoryError> = {
  decide,
  evolve,
  initialState,
};

export * from './commands.ts';
export * from './decide.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './queries.ts';
export * from './state.ts';
export * from './stream.ts';
