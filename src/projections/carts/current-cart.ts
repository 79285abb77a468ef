import { cartStream } from '../../domain/cart/index.ts';
import { BY_KEY, type SqlClient } from '../../db/sql-client.ts';
import type { CartState } from '../../domain/cart/index.ts';

export type CartLine = { sku: string; quantity: number };
export type CurrentCart = { cartId: string; items: CartLine[]; version: number };

/** Where cart streams' states come from: the command handler, or the cart views (src/cache/). */
export type CartStates = (streamId: string) => Promise<{ state: CartState; version: number }>;

/**
 * A customer's carts are numbered: `<customerId>.1`, `<customerId>.2`, ... The open one is the first
 * that is not checked out. `customer_carts` remembers the number reached so far, so finding it costs
 * one lookup and one stream read; it is only a shortcut, and the cart streams stay the truth (two
 * requests that both find cart n checked out both move on to n + 1, the same cart).
 */
export const cartIdOf = (customerId: string, cartNumber: number) => `${customerId}.${cartNumber}`;

/** The number of a cart id made by cartIdOf (a customer id may hold dots; the number follows the last). */
const cartNumberOf = (cartId: string) => Number(cartId.slice(cartId.lastIndexOf('.') + 1));

export const cartStreamId = cartStream.id;

export const cartLines = (state: CartState): CartLine[] =>
  Object.entries(state.items)
    .map(([sku, quantity]) => ({ sku, quantity }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));

const REMEMBERED_CUSTOMERS = 50_000;

/** What this process knows of a customer: every cart below `open` is checked out; `stored` is in customer_carts. */
type Known = { open: number; stored: number };

/**
 * Finds customers' open carts. Reading never writes: when the shortcut in `customer_carts` has fallen
 * behind (a checkout closed the cart it names), the cart commands move it on as they change the next
 * cart (recordOpenCart). Build one per database and share it, so that what it remembers is one place.
 */
export class CustomerCarts {
  /** The customers whose carts this process looked up lately, least recently used first. */
  private readonly known = new Map<string, Known>();

  constructor(private readonly db: SqlClient) {}

  /** The customer's open cart, with its lines in SKU order and its stream version, read through `states`. */
  async current(customerId: string, states: CartStates): Promise<CurrentCart> {
    const known = this.known.get(customerId) ?? (await this.storedNumber(customerId));
    for (let cartNumber = known.open; ; cartNumber++) {
      const cartId = cartIdOf(customerId, cartNumber);
      const { state, version } = await states(cartStreamId(cartId));
      if (state.status === 'checked_out') continue;
      this.remember(customerId, { open: cartNumber, stored: known.stored });
      return { cartId, items: cartLines(state), version };
    }
  }

  /** A cart was just changed, so it is open: `customer_carts` moves on to it if it named an older one. */
  async recordOpenCart(customerId: string, cartId: string): Promise<void> {
    const cartNumber = cartNumberOf(cartId);
    const known = this.known.get(customerId);
    // No row stands for the first cart: only a later one needs writing down.
    if ((known?.stored ?? 1) >= cartNumber) return;
    await this.db.query(
      `INSERT INTO customer_carts (customer_id, cart_number) VALUES ($1, $2)
       ON CONFLICT (customer_id) DO UPDATE
         SET cart_number = GREATEST(customer_carts.cart_number, EXCLUDED.cart_number), updated_at = now()`,
      [customerId, cartNumber],
    );
    this.remember(customerId, { open: Math.max(known?.open ?? 1, cartNumber), stored: cartNumber });
  }

  private async storedNumber(customerId: string): Promise<Known> {
    const [row] = await this.db.query<{ cart_number: number }>(
      `SELECT cart_number FROM customer_carts WHERE customer_id = $1`,
      [customerId],
      BY_KEY,
    );
    const stored = row?.cart_number ?? 1;
    return { open: stored, stored };
  }

  private remember(customerId: string, known: Known): void {
    this.known.delete(customerId);
    this.known.set(customerId, known);
    if (this.known.size > REMEMBERED_CUSTOMERS) this.known.delete(this.known.keys().next().value!);
  }
}
