import { INVENTORY_EVENT_TYPES } from '../domain/event-types.ts';
import { inventoryDecider, noReservations, type InventoryEvent } from '../domain/inventory/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import type { RedisKeys } from './redis.ts';
import {
  redisStreamViews,
  streamViewProjection,
  type Fold,
  type HashCodec,
  type StreamViews,
} from './stream-views.ts';

export type StockCounts = Readonly<{ sku: string; onHand: number; reserved: number }>;
/** What the counters say of one SKU, and the inventory stream version they were counted at. */
export type StockCounters = StockCounts & Readonly<{ available: number; version: number }>;

/** Counted by the inventory aggregate's own `evolve` (its reservations are not kept: counts only). */
const countersFold: Fold<StockCounts> = {
  initialState: () => ({ sku: '', onHand: 0, reserved: 0 }),
  evolve: (counts, event) => {
    const next = inventoryDecider.evolve(
      { ...counts, reservations: noReservations },
      event as InventoryEvent,
    );
    return { sku: next.sku, onHand: next.onHand, reserved: next.reserved };
  },
};

/** One Redis hash per SKU: `onHand`, `reserved`, `available`, `version` (and `sku`). */
const countersHash: HashCodec<StockCounts> = {
  toFields: (c) => ({
    sku: c.sku,
    onHand: String(c.onHand),
    reserved: String(c.reserved),
    available: String(c.onHand - c.reserved),
  }),
  fromFields: (fields) => ({
    sku: fields.sku ?? '',
    onHand: Number(fields.onHand ?? 0),
    reserved: Number(fields.reserved ?? 0),
  }),
};

export const redisStockCounters = (keys: RedisKeys): StreamViews<StockCounts> =>
  redisStreamViews(keys, 'stock', countersHash);

/** Keeps on hand, reserved and available per SKU from the inventory streams (idempotent by version). */
export const stockCountersProjection = (
  views: StreamViews<StockCounts>,
  store: Pick<EventStore, 'readStream'>,
): ExternalProjection =>
  streamViewProjection({
    name: 'redis-stock-counters',
    eventTypes: new Set(INVENTORY_EVENT_TYPES),
    views,
    fold: countersFold,
    store,
  });

/** The counters of the SKUs whose inventory stream is `streamIds[i]`; absent when never counted. */
export const readCounters = async (
  views: StreamViews<StockCounts>,
  streamIds: readonly string[],
): Promise<(StockCounters | undefined)[]> =>
  (await views.read(streamIds)).map(
    (view) =>
      view && { ...view.state, available: view.state.onHand - view.state.reserved, version: view.version },
  );
