import { INVENTORY_EVENT_TYPES } from '../domain/event-types.ts';
import { stockChange, type InventoryEvent } from '../domain/inventory/index.ts';
import type { EventStore, RecordedEvent } from '../eventstore/event-store.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import type { GateStore, StockCount } from './gate-store.ts';

export const GATE_PROJECTION = 'flash-sale-gate';

const NOTHING_COUNTED: StockCount = { version: 0, onHand: 0, reserved: 0 };

/** Order events after which an order reserves nothing more: what it holds at the gate goes back. */
const ORDER_ENDINGS = new Set(['OrderStockRejected', 'OrderCancelled']);

/**
 * Feeds the gate from the log: each inventory stream's counts at its version, settling the admissions
 * of the orders whose reservations those counts now hold; and the admissions of orders that ended
 * without reserving (refused for stock elsewhere, cancelled, blocked) given back. Idempotent: a count
 * is kept only if newer, and an admission is settled at most once, so a re-delivered batch changes
 * nothing. Stock that comes back (released, expired, returned, received, adjusted) is in the counts
 * like any other change: the gate opens again by itself.
 */
export function gateProjection(gate: GateStore, store: Pick<EventStore, 'readStream'>): ExternalProjection {
  return {
    name: GATE_PROJECTION,
    eventTypes: new Set([...INVENTORY_EVENT_TYPES, ...ORDER_ENDINGS]),
    async apply(events) {
      const bySku = new Map<string, RecordedEvent[]>();
      const ended = new Set<string>();
      for (const event of events) {
        if (ORDER_ENDINGS.has(event.type)) ended.add((event.data as { orderId: string }).orderId);
        else {
          const sku = (event.data as { sku: string }).sku;
          const group = bySku.get(sku);
          if (group) group.push(event);
          else bySku.set(sku, [event]);
        }
      }
      const skus = [...bySku.keys()];
      const stored = await gate.counts(skus);
      await Promise.all(
        skus.map(async (sku, i) => {
          const from = stored[i] ?? NOTHING_COUNTED;
          const fresh = bySku.get(sku)!.filter((e) => e.streamVersion > from.version);
          if (fresh.length === 0) return;
          // A gap (the count was lost, or starts late in the stream's life): the stream from its start.
          const folded =
            fresh[0]!.streamVersion === from.version + 1
              ? { from, events: fresh }
              : {
                  from: NOTHING_COUNTED,
                  events: await store.readStream(fresh[0]!.streamId, {
                    maxCount: fresh.at(-1)!.streamVersion,
                  }),
                };
          await gate.count(sku, countAfter(folded.from, folded.events), reservationsIn(folded.events));
        }),
      );
      if (ended.size === 0) return;
      const orderIds = [...ended];
      const held = await gate.heldBy(orderIds);
      await Promise.all(orderIds.map((orderId, i) => gate.release(orderId, held[i]!)));
    },
  };
}

/** The counts after `events` (of one inventory stream, in order, following `from`). */
export function countAfter(from: StockCount, events: readonly RecordedEvent[]): StockCount {
  let { onHand, reserved } = from;
  for (const event of events) {
    const change = stockChange({ type: event.type, data: event.data } as InventoryEvent);
    onHand += change.onHand;
    reserved += change.reserved;
  }
  return { version: events.at(-1)?.streamVersion ?? from.version, onHand, reserved };
}

/** The orders whose reservations these events made. */
export const reservationsIn = (events: readonly RecordedEvent[]): string[] =>
  events
    .filter((e) => e.type === 'StockReserved')
    .map((e) => (e.data as { reservationId: string }).reservationId);
