import {
  inventoryDecider,
  type InventoryCommand,
  type InventoryError,
  type InventoryEvent,
  type InventoryState,
} from '../domain/inventory/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { CommandHandler, type CommandContext, type CommandHandlerOptions } from './command-handler.ts';

export const inventoryStream = (sku: string) => `inventory-${sku}`;

export type InventoryCommands = CommandHandler<
  InventoryCommand,
  InventoryEvent,
  InventoryState,
  InventoryError
>;

/** Stock commands, each routed to its SKU's `inventory-<sku>` stream. */
export const inventoryCommands = (store: EventStore, options?: CommandHandlerOptions): InventoryCommands =>
  new CommandHandler(store, inventoryDecider, options);

export const handleInventory = (
  commands: InventoryCommands,
  sku: string,
  command: InventoryCommand,
  context: CommandContext,
) => commands.handle(inventoryStream(sku), command, context);
