import { CART_EVENT_TYPES } from '../domain/event-types.ts';
import { cartDecider, type CartEvent, type CartState } from '../domain/cart/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import type { RedisKeys } from './redis.ts';
import {
  currentView,
  redisStreamViews,
  streamViewProjection,
  type Fold,
  type HashCodec,
  type StreamViews,
  type Versioned,
} from './stream-views.ts';

/** A cart's view is the cart aggregate's own state, folded by the cart's own `evolve`. */
export const cartFold: Fold<CartState> = {
  initialState: cartDecider.initialState,
  evolve: (state, event) => cartDecider.evolve(state, event as CartEvent),
};

/** One Redis hash per cart: `cartId`, `status`, `items` (JSON, quantity per SKU), ... and `version`. */
const cartHash: HashCodec<CartState> = {
  toFields: (cart) => ({
    cartId: cart.cartId,
    status: cart.status,
    items: JSON.stringify(cart.items),
    mergedFrom: JSON.stringify(cart.mergedFrom),
    orderId: cart.orderId ?? '',
    checkedOutAt: cart.checkedOutAt ?? '',
  }),
  fromFields: (fields) => ({
    cartId: fields.cartId ?? '',
    status: fields.status === 'checked_out' ? 'checked_out' : 'open',
    items: JSON.parse(fields.items ?? '{}') as Record<string, number>,
    mergedFrom: JSON.parse(fields.mergedFrom ?? '[]') as string[],
    orderId: fields.orderId || null,
    checkedOutAt: fields.checkedOutAt || null,
  }),
};

export const redisCartViews = (keys: RedisKeys): StreamViews<CartState> =>
  redisStreamViews(keys, 'cart', cartHash);

/** Keeps every cart's view from the cart streams (idempotent by stream version). */
export const cartViewProjection = (
  views: StreamViews<CartState>,
  store: Pick<EventStore, 'readStream'>,
): ExternalProjection =>
  streamViewProjection({
    name: 'redis-cart-views',
    eventTypes: new Set(CART_EVENT_TYPES),
    views,
    fold: cartFold,
    store,
  });

/**
 * A cart stream's state for the API, read through its view: the view, plus whatever the stream has
 * beyond it. So the customer always sees every change committed before the request (their own, and
 * a checkout's), however far the projection lags; when it has caught up that costs one Redis read and
 * one stream read that finds nothing. If Redis does not answer, the stream alone (`fallback`).
 */
export function cartsThroughViews(
  views: StreamViews<CartState>,
  store: Pick<EventStore, 'readStream'>,
  fallback: (streamId: string) => Promise<Versioned<CartState>>,
): (streamId: string) => Promise<Versioned<CartState>> {
  return (streamId) => currentView(views, cartFold, store, streamId).catch(() => fallback(streamId));
}
