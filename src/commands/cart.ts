import { createHash } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { CartCommand, CartError } from '../domain/cart/index.ts';
import type { DomainError } from '../domain/decider.ts';
import { cartLines, type CurrentCart } from '../projections/carts/current-cart.ts';
import type { CommandContext } from './command-handler.ts';
import { streams, type CommandHandlers } from './index.ts';
import type { SellableLookup } from './listed-products.ts';

/**
 * The customer's own cart: add, change, remove, merge a guest cart. What a cart may hold is capped at
 * what the inventory streams say is sellable now (see listed-products.ts).
 */
export type CartDependencies = Readonly<{
  carts: Pick<CommandHandlers['cart'], 'handle'>;
  /** The customer's open cart, read from the cart streams. */
  openCart(customerId: string): Promise<CurrentCart>;
  /** Tells the lookup of open carts that this one was just changed (see CustomerCarts.recordOpenCart). */
  recordOpenCart(customerId: string, cartId: string): Promise<void>;
  sellable: SellableLookup;
}>;

export type CartRequest = Readonly<{ customerId: string; context: CommandContext }>;

export type CartChangeError = CartError | DomainError<'ProductNotFound'>;
type CartChange = Promise<Either<CartChangeError, CurrentCart>>;

export async function addToCart(
  deps: CartDependencies,
  request: CartRequest,
  item: Readonly<{ sku: string; quantity: number }>,
): CartChange {
  const { sku, quantity } = item;
  const available = (await deps.sellable([sku])).get(sku);
  if (available === undefined)
    return left({ code: 'ProductNotFound', message: `product ${sku} not found`, details: { sku } });
  return changeCart(deps, request, (cartId) => ({
    type: 'AddItem',
    data: { cartId, sku, quantity, maxQuantity: available },
  }));
}

export async function changeQuantity(
  deps: CartDependencies,
  request: CartRequest,
  item: Readonly<{ sku: string; quantity: number }>,
): CartChange {
  const { sku, quantity } = item;
  // Nothing is sellable of a product no longer listed: its line may shrink, not grow.
  const maxQuantity = (await deps.sellable([sku])).get(sku) ?? 0;
  return changeCart(deps, request, (cartId) => ({
    type: 'ChangeItemQuantity',
    data: { cartId, sku, quantity, maxQuantity },
  }));
}

export const removeItem = (deps: CartDependencies, request: CartRequest, sku: string): CartChange =>
  changeCart(deps, request, (cartId) => ({ type: 'RemoveItem', data: { cartId, sku } }));

/** A guest cart joins the customer's: its products no longer for sale are dropped, quantities capped. */
export async function mergeCart(
  deps: CartDependencies,
  request: CartRequest,
  items: readonly Readonly<{ sku: string; quantity: number }>[],
): CartChange {
  const sellable = await deps.sellable(items.map((i) => i.sku));
  return changeCart(deps, request, (cartId) => ({
    type: 'MergeCart',
    data: {
      cartId,
      fromCartId: guestCartId(items),
      items: items.filter((i) => sellable.has(i.sku)),
      sellable: Object.fromEntries(sellable),
    },
  }));
}

/** Runs the command on the open cart; if checkout closed that cart meanwhile, once more on the next. */
async function changeCart(
  deps: CartDependencies,
  request: CartRequest,
  command: (cartId: string) => CartCommand,
): CartChange {
  for (let attempt = 1; ; attempt++) {
    const { cartId } = await deps.openCart(request.customerId);
    const result = await deps.carts.handle(streams.cart(cartId), command(cartId), request.context);
    if (isLeft(result)) {
      if (result.left.code === 'CartCheckedOut' && attempt === 1) continue;
      return result;
    }
    await deps.recordOpenCart(request.customerId, cartId);
    return right({ cartId, items: cartLines(result.right.state), version: result.right.version });
  }
}

/**
 * A guest cart has no id of its own; naming it by its content makes a repeated merge of the same
 * guest cart (a retried request, a second login) change nothing the second time.
 */
const guestCartId = (items: readonly { sku: string; quantity: number }[]) => {
  const content = items
    .map((i) => `${i.sku}\n${i.quantity}`)
    .sort()
    .join('\n\n');
  return `guest-${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
};
