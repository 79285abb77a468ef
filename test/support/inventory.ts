import { isRight } from 'fp-ts/lib/Either.js';
import { v7 as uuidv7 } from 'uuid';
import { inventoryStream, type InventoryCommands } from './inventory-commands.ts';
import type { CommandContext } from '../../src/commands/command-handler.ts';
import { fold } from '../../src/domain/decider.ts';
import { inventoryDecider, type InventoryEvent } from '../../src/domain/inventory/index.ts';
import type { EventStore } from '../../src/eventstore/event-store.ts';

export const context = (): CommandContext => ({
  actor: { id: 'test-buyer', role: 'customer' },
  correlationId: uuidv7(),
});

export async function receive(commands: InventoryCommands, sku: string, quantity: number) {
  const result = await commands.handle(
    inventoryStream(sku),
    { type: 'ReceiveStock', data: { sku, quantity } },
    context(),
  );
  if (!isRight(result)) throw new Error(`could not receive stock: ${result.left.message}`);
}

export const reserve = (commands: InventoryCommands, sku: string, reservationId = uuidv7(), quantity = 1) => {
  const now = new Date();
  return commands.handle(
    inventoryStream(sku),
    {
      type: 'ReserveStock',
      data: {
        sku,
        reservationId,
        quantity,
        now: now.toISOString(),
        expiresAt: new Date(now.getTime() + 600_000).toISOString(),
      },
    },
    context(),
  );
};

/**
 * Replays a SKU's stream event by event: the state after each one, so a test can check that no
 * moment in the history ever had less than zero available.
 */
export async function replayInventory(store: EventStore, sku: string) {
  const events = await store.readStream(inventoryStream(sku));
  const domainEvents = events.map((e) => ({ type: e.type, data: e.data }) as InventoryEvent);
  const states = domainEvents.map((_, i) => fold(inventoryDecider, domainEvents.slice(0, i + 1)));
  return { events, states, final: fold(inventoryDecider, domainEvents) };
}
