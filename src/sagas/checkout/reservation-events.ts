import { streams } from '../../commands/index.ts';
import type { EventStore } from '../../eventstore/event-store.ts';

/** What finding a reservation's events needs from the event store. */
export type StreamReader = Pick<EventStore, 'readStream' | 'readStreams'>;

const PAGE = 100;

/**
 * The ids of the latest events about some reservations in one SKU's inventory stream (of `types`
 * only, when given), read backward from `atOrBefore` (default: the end). The causes the checkout saga
 * and the expiry timer name: an order's line is recorded as reserved because of its `StockReserved`.
 * A reservation just made sits among the last events of its stream, so one page usually does.
 */
export async function reservationEventIds(
  store: StreamReader,
  sku: string,
  reservationIds: Iterable<string>,
  options: Readonly<{ types?: readonly string[]; atOrBefore?: number }> = {},
): Promise<Map<string, string>> {
  const wanted = new Set(reservationIds);
  const found = new Map<string, string>();
  let from = options.atOrBefore;
  while (found.size < wanted.size && (from === undefined || from >= 1)) {
    const page = await store.readStream(streams.inventory(sku), {
      direction: 'backward',
      ...(from === undefined ? {} : { fromVersion: from }),
      maxCount: PAGE,
    });
    for (const event of page) {
      const { reservationId } = event.data as { reservationId?: string };
      if (reservationId === undefined || !wanted.has(reservationId) || found.has(reservationId)) continue;
      if (!options.types || options.types.includes(event.type)) found.set(reservationId, event.eventId);
    }
    if (page.length < PAGE) break;
    from = page.at(-1)!.streamVersion - 1;
  }
  return found;
}
