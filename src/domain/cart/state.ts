import type { CartEvent } from './events.ts';

/** No single line holds more than this: a typo guard and a bound on what one cart can hold back. */
export const maxQuantityPerLine = 1000;

export type CartState = Readonly<{
  /** '' until the first event names the cart. */
  cartId: string;
  status: 'open' | 'checked_out';
  /** Quantity per SKU, always > 0: a line at zero is removed. */
  items: Readonly<Record<string, number>>;
  /** Guest carts already merged in, so a repeated login merge adds nothing twice. */
  mergedFrom: readonly string[];
  orderId: string | null;
  checkedOutAt: string | null;
}>;

export const initialState = (): CartState => ({
  cartId: '',
  status: 'open',
  items: {},
  mergedFrom: [],
  orderId: null,
  checkedOutAt: null,
});

/** Own entries only: a SKU such as "constructor" must not find Object.prototype's. */
export const quantityInCart = (state: CartState, sku: string): number =>
  Object.hasOwn(state.items, sku) ? (state.items[sku] ?? 0) : 0;

const withoutSkus = (items: CartState['items'], skus: readonly string[]): CartState['items'] =>
  Object.fromEntries(Object.entries(items).filter(([sku]) => !skus.includes(sku)));

export const evolve = (state: CartState, event: CartEvent): CartState => {
  const cartId = event.data.cartId;
  switch (event.type) {
    case 'CartItemAdded':
      return { ...state, cartId, items: { ...state.items, [event.data.sku]: event.data.quantityInCart } };
    case 'CartItemQuantityChanged':
      return { ...state, cartId, items: { ...state.items, [event.data.sku]: event.data.quantity } };
    case 'CartItemRemoved':
      return { ...state, cartId, items: withoutSkus(state.items, [event.data.sku]) };
    case 'CartMerged': {
      const changed = Object.fromEntries(event.data.changed.map((line) => [line.sku, line.quantity]));
      return {
        ...state,
        cartId,
        items: { ...withoutSkus(state.items, event.data.dropped), ...changed },
        mergedFrom: [...state.mergedFrom, event.data.fromCartId],
      };
    }
    case 'CartCheckedOut':
      return {
        ...state,
        cartId,
        status: 'checked_out',
        orderId: event.data.orderId,
        checkedOutAt: event.data.at,
      };
  }
};
