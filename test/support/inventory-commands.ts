import { CommandHandler, type CommandHandlerOptions } from '../../src/commands/command-handler.ts';
import {
  inventoryDecider,
  inventoryStream as inventoryStreams,
  type InventoryCommand,
  type InventoryError,
  type InventoryEvent,
  type InventoryState,
} from '../../src/domain/inventory/index.ts';
import type { EventStore } from '../../src/eventstore/event-store.ts';

export const inventoryStream = inventoryStreams.id;

export type InventoryCommands = CommandHandler<
  InventoryCommand,
  InventoryEvent,
  InventoryState,
  InventoryError
>;

/** Stock commands alone, each routed to its SKU's `inventory-<sku>` stream, for tests of the handler. */
export const inventoryCommands = (store: EventStore, options?: CommandHandlerOptions): InventoryCommands =>
  new CommandHandler(store, inventoryDecider, options);
