import { streams } from '../../commands/index.ts';
import { perDatabase, type SqlClient } from '../../db/sql-client.ts';
import type { CartState } from '../../domain/cart/index.ts';

export type CartLine = { sku: string; quantity: number };
export type CurrentCart = { cartId: string; items: CartLine[]; version: number };

/**
 * A customer's carts are numbered: `<customerId>.1`, `<customerId>.2`, ... The open one is the first
 * that is not checked out. `customer_carts` remembers the number reached so far, so finding it costs
 * one lookup and one stream read; it is only a shortcut, and the cart streams stay the truth (two
 * requests that both find cart n checked out both move on to n + 1, the same cart).
 */
export const cartIdOf = (customerId: string, cartNumber: number) => `${customerId}.${cartNumber}`;

export const cartStreamId = (cartId: string) => streams.cart(cartId);

export const cartLines = (state: CartState): CartLine[] =>
  Object.entries(state.items)
    .map(([sku, quantity]) => ({ sku, quantity }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));

/**
 * The cart numbers this process found open lately, per database: like `customer_carts`, a place to
 * start looking from (every cart below it is checked out), which saves looking that row up.
 */
const rememberedCartNumbers = perDatabase(() => new Map<string, number>());
const REMEMBERED_CUSTOMERS = 50_000;

/** The customer's open cart, with its lines in SKU order and its stream version. */
export async function currentCart(
  platform: {
    db: SqlClient;
    /** Where cart streams' states come from: the command handler, or the cart views (src/cache/). */
    commands: { cart: { load(streamId: string): Promise<{ state: CartState; version: number }> } };
  },
  customerId: string,
): Promise<CurrentCart> {
  const remembered = rememberedCartNumbers(platform.db);
  let start = remembered.get(customerId);
  if (start === undefined) {
    const [known] = await platform.db.query<{ cart_number: number }>(
      `SELECT cart_number FROM customer_carts WHERE customer_id = $1`,
      [customerId],
    );
    start = known?.cart_number ?? 1;
  }
  for (let cartNumber = start; ; cartNumber++) {
    const cartId = cartIdOf(customerId, cartNumber);
    const { state, version } = await platform.commands.cart.load(cartStreamId(cartId));
    if (state.status === 'checked_out') continue;
    if (cartNumber !== start)
      await platform.db.query(
        `INSERT INTO customer_carts (customer_id, cart_number) VALUES ($1, $2)
         ON CONFLICT (customer_id) DO UPDATE
           SET cart_number = GREATEST(customer_carts.cart_number, EXCLUDED.cart_number), updated_at = now()`,
        [customerId, cartNumber],
      );
    remembered.delete(customerId);
    remembered.set(customerId, cartNumber);
    if (remembered.size > REMEMBERED_CUSTOMERS) remembered.delete(remembered.keys().next().value!);
    return { cartId, items: cartLines(state), version };
  }
}
