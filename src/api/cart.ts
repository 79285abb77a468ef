import { createHash } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streams } from '../commands/index.ts';
import type { CartCommand } from '../domain/cart/index.ts';
import { maxQuantityPerLine } from '../domain/cart/index.ts';
import type { StockCounters } from '../cache/stock-counters.ts';
import { availableToSell } from '../domain/inventory/index.ts';
import { timesQuantity, totalOf, type Money } from '../domain/money.ts';
import type { Platform } from '../platform.ts';
import { CATALOG_CURRENCY, sellableProducts } from '../projections/catalog/index.ts';
import { cartLines, cartStreamId, currentCart, type CurrentCart } from '../projections/carts/current-cart.ts';
import { caller, requireRole } from './auth.ts';
import { SKU_PATTERN, skuSchema, text } from './catalog.ts';
import { commandContext } from './context.ts';
import { domainProblem, HttpProblem, notFound } from './problem.ts';

export { cartStreamId, currentCart, type CurrentCart } from '../projections/carts/current-cart.ts';

const quantity = z.int().min(1).max(maxQuantityPerLine);
const skuParams = z.strictObject({ sku: skuSchema });
const money = z.object({ amount: z.int(), currency: z.string() });
const pricedCart = z.object({
  cartId: z.string(),
  items: z.array(
    z.object({
      sku: z.string(),
      quantity: z.int(),
      unitPrice: money.nullable(),
      lineTotal: money.nullable(),
    }),
  ),
  total: money,
});
const guestCart = z.strictObject({
  // Lenient about SKUs: a guest cart kept for weeks may name products that are gone; those are dropped.
  items: z.array(z.strictObject({ sku: text(200).min(1), quantity })).max(100),
});

/**
 * The customer's own cart (customer role). There is never a cart id in a URL: the cart is found
 * from the signed-in customer (see currentCart). Prices come from the catalog read model; a line
 * whose product is no longer listed shows no price and is left out of the total. What a cart may
 * hold is capped at what the inventory streams say is sellable now.
 */
export const cartRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', requireRole('customer'));
  const answersWithCart = { tags: ['cart'], security: [{ bearer: [] }], response: { 200: pricedCart } };

  /** Listed products' prices: from the read model, or from the product stream for one it does not show yet. */
  async function pricesOf(skus: readonly string[]): Promise<Map<string, Money>> {
    const fromCatalog = await sellableProducts(platform.db, skus);
    const prices = new Map([...fromCatalog].map(([sku, product]) => [sku, product.price]));
    const missing = skus.filter((sku) => !prices.has(sku));
    for (const [sku, product] of await Promise.all(
      missing.map(async (sku) => [sku, await productState(sku)] as const),
    ))
      if (product.status === 'listed') prices.set(sku, product.price);
    return prices;
  }

  /**
   * How many units of each listed SKU are sellable now, as exact as the product and inventory streams
   * themselves, so a product listed or stocked a moment ago can go into a cart at once.
   */
  async function sellableNow(skus: readonly string[]): Promise<Map<string, number>> {
    const known = [...new Set(skus)].filter((sku) => SKU_PATTERN.test(sku));
    const counted = await platform.readModels
      .stockCounters(known.map((sku) => streams.inventory(sku)))
      .catch(() => known.map(() => undefined));
    const levels = await Promise.all(
      known.map(async (sku, i) => {
        const [product, available] = await Promise.all([productState(sku), availableNow(sku, counted[i])]);
        return product.status === 'listed' ? [[sku, available] as const] : [];
      }),
    );
    return new Map(levels.flat());
  }

  /**
   * The stock counters when they are at the inventory stream's present version (then they are exact,
   * and a long stream need not be read and folded); else the stream itself.
   */
  async function availableNow(sku: string, counters: StockCounters | undefined): Promise<number> {
    const stream = streams.inventory(sku);
    if (counters && counters.version === (await platform.store.streamVersion(stream)))
      return counters.available;
    return availableToSell((await platform.commands.inventory.load(stream)).state);
  }

  const productState = async (sku: string) =>
    (await platform.commands.product.load(streams.product(sku))).state;

  async function priced(cart: Pick<CurrentCart, 'cartId' | 'items'>) {
    const prices = await pricesOf(cart.items.map((line) => line.sku));
    const items = cart.items.map(({ sku, quantity }) => {
      const unitPrice = prices.get(sku) ?? null;
      return {
        sku,
        quantity,
        unitPrice,
        lineTotal: unitPrice && (timesQuantity(unitPrice, quantity) ?? null),
      };
    });
    const lineTotals = items.flatMap((i) =>
      i.lineTotal?.currency === CATALOG_CURRENCY ? [i.lineTotal] : [],
    );
    const total = totalOf(lineTotals, CATALOG_CURRENCY);
    if (!total)
      throw new HttpProblem(422, 'cart-too-large', 'Cart too large', 'the cart total is too large to count');
    return { cartId: cart.cartId, items, total };
  }

  /** Runs the command on the open cart; if checkout closed that cart meanwhile, once more on the next. */
  async function changeCart(request: FastifyRequest, command: (cartId: string) => CartCommand) {
    const customerId = caller(request).userId;
    for (let attempt = 1; ; attempt++) {
      const cart = await currentCart(platform, customerId);
      const result = await platform.commands.cart.handle(
        cartStreamId(cart.cartId),
        command(cart.cartId),
        commandContext(request),
      );
      if (isLeft(result)) {
        if (result.left.code === 'CartCheckedOut' && attempt === 1) continue;
        throw domainProblem(result.left);
      }
      return priced({ cartId: cart.cartId, items: cartLines(result.right.state) });
    }
  }

  // Through the cart views (Redis, services profile): the view plus any events beyond it, so the
  // customer sees every change committed before this request, however far the projection lags.
  const cartsThroughViews = { db: platform.db, commands: { cart: { load: platform.readModels.cartState } } };
  routes.get('/cart', { schema: answersWithCart }, async (request) =>
    priced(await currentCart(cartsThroughViews, caller(request).userId)),
  );

  routes.post(
    '/cart/items',
    { schema: { ...answersWithCart, body: z.strictObject({ sku: skuSchema, quantity }) } },
    async (request) => {
      const { sku, quantity } = request.body;
      const available = (await sellableNow([sku])).get(sku);
      if (available === undefined) throw notFound(`product ${sku}`);
      return changeCart(request, (cartId) => ({
        type: 'AddItem',
        data: { cartId, sku, quantity, maxQuantity: available },
      }));
    },
  );

  routes.put(
    '/cart/items/:sku',
    { schema: { ...answersWithCart, params: skuParams, body: z.strictObject({ quantity }) } },
    async (request) => {
      const { sku } = request.params;
      // Nothing is sellable of a product no longer listed: its line may shrink, not grow.
      const maxQuantity = (await sellableNow([sku])).get(sku) ?? 0;
      return changeCart(request, (cartId) => ({
        type: 'ChangeItemQuantity',
        data: { cartId, sku, quantity: request.body.quantity, maxQuantity },
      }));
    },
  );

  routes.delete('/cart/items/:sku', { schema: { ...answersWithCart, params: skuParams } }, async (request) =>
    changeCart(request, (cartId) => ({ type: 'RemoveItem', data: { cartId, sku: request.params.sku } })),
  );

  routes.post('/cart/merge', { schema: { ...answersWithCart, body: guestCart } }, async (request) => {
    const { items } = request.body;
    const sellable = await sellableNow(items.map((i) => i.sku));
    return changeCart(request, (cartId) => ({
      type: 'MergeCart',
      data: {
        cartId,
        fromCartId: guestCartId(items),
        items: items.filter((i) => sellable.has(i.sku)),
        sellable: Object.fromEntries(sellable),
      },
    }));
  });
};

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
