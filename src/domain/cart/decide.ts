import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  addItemData,
  changeItemQuantityData,
  checkOutCartData,
  mergeCartData,
  removeItemData,
  type AddItem,
  type CartCommand,
  type ChangeItemQuantity,
  type CheckOutCart,
  type MergeCart,
  type RemoveItem,
} from './commands.ts';
import { cartError, invalidCommandData, type CartError, type CartErrorCode } from './errors.ts';
import type { CartEvent, CartLine } from './events.ts';
import { maxQuantityPerLine, quantityInCart, type CartState } from './state.ts';

type Decision = Either<CartError, readonly CartEvent[]>;

// Frozen: one shared empty answer that no caller can append to.
const nothingHappens: Decision = right(Object.freeze([]));
const reject = (code: CartErrorCode, message: string, details?: Record<string, unknown>): Decision =>
  left(cartError(code, message, details));

/** Why this cart cannot change (another cart's stream, or already checked out), if it cannot. */
const cannotChange = (state: CartState, cartId: string): Decision | undefined => {
  if (state.cartId !== '' && state.cartId !== cartId)
    return reject('CartIdMismatch', `this stream holds cart ${state.cartId}`, { cartId });
  if (state.status === 'checked_out')
    return reject('CartCheckedOut', `cart ${cartId} was checked out as order ${state.orderId}`, {
      orderId: state.orderId,
    });
  return undefined;
};

/** Why a line cannot grow to `requested`, if it cannot. */
const cannotHold = (
  sku: string,
  requested: number,
  maxQuantity: number | undefined,
): Decision | undefined => {
  if (requested > maxQuantityPerLine)
    return reject('QuantityTooLarge', `at most ${maxQuantityPerLine} of one item`, {
      sku,
      requested,
      max: maxQuantityPerLine,
    });
  if (maxQuantity !== undefined && requested > maxQuantity)
    return reject('QuantityUnavailable', `only ${maxQuantity} of ${sku} available`, {
      sku,
      requested,
      available: maxQuantity,
    });
  return undefined;
};

const bySku = (a: CartLine, b: CartLine): number => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

export const addItem = (command: AddItem, state: CartState): Decision => {
  const parsed = addItemData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { cartId, sku, quantity, maxQuantity } = parsed.data;
  const refused = cannotChange(state, cartId);
  if (refused) return refused;
  const inCart = quantityInCart(state, sku) + quantity;
  const tooMany = cannotHold(sku, inCart, maxQuantity);
  if (tooMany) return tooMany;
  return right([{ type: 'CartItemAdded', data: { cartId, sku, quantity, quantityInCart: inCart } }]);
};

export const changeItemQuantity = (command: ChangeItemQuantity, state: CartState): Decision => {
  const parsed = changeItemQuantityData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { cartId, sku, quantity, maxQuantity } = parsed.data;
  const refused = cannotChange(state, cartId);
  if (refused) return refused;
  const current = quantityInCart(state, sku);
  if (current === 0) return reject('ItemNotInCart', `${sku} is not in the cart`, { sku });
  if (quantity === current) return nothingHappens;
  // Lowering a quantity is always allowed, even when less is sellable now than the cart holds.
  const tooMany = quantity > current ? cannotHold(sku, quantity, maxQuantity) : undefined;
  if (tooMany) return tooMany;
  return right([{ type: 'CartItemQuantityChanged', data: { cartId, sku, quantity } }]);
};

export const removeItem = (command: RemoveItem, state: CartState): Decision => {
  const parsed = removeItemData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { cartId, sku } = parsed.data;
  const refused = cannotChange(state, cartId);
  if (refused) return refused;
  if (quantityInCart(state, sku) === 0) return nothingHappens;
  return right([{ type: 'CartItemRemoved', data: { cartId, sku } }]);
};

/**
 * Quantities add up, capped at what is sellable and at the per-line maximum; a SKU with nothing
 * sellable is dropped, from the guest's items and from this cart alike.
 */
export const mergeCart = (command: MergeCart, state: CartState): Decision => {
  const parsed = mergeCartData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { cartId, fromCartId, items, sellable } = parsed.data;
  if (fromCartId === cartId)
    return reject('InvalidCommandData', 'a cart cannot be merged into itself', {
      fields: [{ field: 'fromCartId', problem: 'must differ from cartId' }],
    });
  const refused = cannotChange(state, cartId);
  if (refused) return refused;
  if (state.mergedFrom.includes(fromCartId)) return nothingHappens;

  const guestQuantities = new Map<string, number>();
  for (const { sku, quantity } of items) guestQuantities.set(sku, (guestQuantities.get(sku) ?? 0) + quantity);

  const changed: CartLine[] = [];
  const dropped: string[] = [];
  for (const [sku, guestQuantity] of [...guestQuantities].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sellableNow = Object.hasOwn(sellable, sku) ? (sellable[sku] ?? 0) : 0;
    if (sellableNow === 0) {
      dropped.push(sku);
      continue;
    }
    const current = quantityInCart(state, sku);
    const merged = Math.min(current + guestQuantity, sellableNow, maxQuantityPerLine);
    if (merged !== current) changed.push({ sku, quantity: merged });
  }
  if (changed.length === 0 && dropped.length === 0) return nothingHappens;
  return right([{ type: 'CartMerged', data: { cartId, fromCartId, changed, dropped } }]);
};

export const checkOutCart = (command: CheckOutCart, state: CartState): Decision => {
  const parsed = checkOutCartData.safeParse(command.data);
  if (!parsed.success) return left(invalidCommandData(parsed.error));
  const { cartId, orderId, at } = parsed.data;
  if (state.status === 'checked_out' && state.cartId === cartId && state.orderId === orderId)
    return nothingHappens;
  const refused = cannotChange(state, cartId);
  if (refused) return refused;
  const items = Object.entries(state.items)
    .map(([sku, quantity]) => ({ sku, quantity }))
    .sort(bySku);
  if (items.length === 0) return reject('CartEmpty', `cart ${cartId} is empty`);
  return right([{ type: 'CartCheckedOut', data: { cartId, orderId, items, at } }]);
};

export const decide = (command: CartCommand, state: CartState): Decision => {
  switch (command.type) {
    case 'AddItem':
      return addItem(command, state);
    case 'ChangeItemQuantity':
      return changeItemQuantity(command, state);
    case 'RemoveItem':
      return removeItem(command, state);
    case 'MergeCart':
      return mergeCart(command, state);
    case 'CheckOutCart':
      return checkOutCart(command, state);
    default:
      return unknownCommand(command);
  }
};

/** Unreachable for typed callers; a command decoded from JSON can still carry any type. */
const unknownCommand = (command: never): Decision =>
  reject('InvalidCommandData', `unknown cart command ${String((command as { type?: unknown }).type)}`);
