import { cartDecider, cartStream } from '../domain/cart/index.ts';
import { inventoryDecider, inventoryStream } from '../domain/inventory/index.ts';
import { orderDecider, orderStream } from '../domain/order/index.ts';
import { paymentDecider, paymentStream } from '../domain/payment/index.ts';
import { productDecider, productStream } from '../domain/product/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { streamCategory } from '../eventstore/validation.ts';
import type { Metrics } from '../observability/metrics.ts';
import { CommandHandler, type CommandHandlerOptions } from './command-handler.ts';

/** Each aggregate's stream id, as its domain module names it. */
export const streams = {
  inventory: inventoryStream.id,
  product: productStream.id,
  order: orderStream.id,
  cart: cartStream.id,
  payment: paymentStream.id,
};

/** One command handler per aggregate, sharing the store and reporting conflicts to the metrics. */
export function createCommandHandlers(
  store: EventStore,
  metrics?: Metrics,
  options: CommandHandlerOptions = {},
) {
  const onConflict = (streamId: string, retrying: boolean) => {
    const category = streamCategory(streamId);
    metrics?.appendConflicts.labels(category).inc();
    if (retrying) metrics?.commandRetries.labels(category).inc();
  };
  return {
    inventory: new CommandHandler(store, inventoryDecider, { onConflict, ...options }),
    product: new CommandHandler(store, productDecider, { onConflict, ...options }),
    order: new CommandHandler(store, orderDecider, { onConflict, ...options }),
    cart: new CommandHandler(store, cartDecider, { onConflict, ...options }),
    payment: new CommandHandler(store, paymentDecider, { onConflict, ...options }),
  };
}

export type CommandHandlers = ReturnType<typeof createCommandHandlers>;
