import { timesQuantity, totalOf, type Money } from '../../domain/money.ts';
import { CATALOG_CURRENCY } from '../catalog/index.ts';
import type { CurrentCart } from './current-cart.ts';

export type PricedLine = { sku: string; quantity: number; unitPrice: Money | null; lineTotal: Money | null };
export type PricedCart = { cartId: string; items: PricedLine[]; total: Money };

/**
 * The cart as the customer sees it, at today's prices. A line whose product is no longer listed shows
 * no price and is left out of the total. Undefined when the total is too large to count exactly.
 */
export function pricedCart(
  cart: Pick<CurrentCart, 'cartId' | 'items'>,
  prices: ReadonlyMap<string, Money>,
): PricedCart | undefined {
  const items = cart.items.map(({ sku, quantity }) => {
    const unitPrice = prices.get(sku) ?? null;
    return { sku, quantity, unitPrice, lineTotal: unitPrice && (timesQuantity(unitPrice, quantity) ?? null) };
  });
  const lineTotals = items.flatMap((i) => (i.lineTotal?.currency === CATALOG_CURRENCY ? [i.lineTotal] : []));
  const total = totalOf(lineTotals, CATALOG_CURRENCY);
  return total && { cartId: cart.cartId, items, total };
}
