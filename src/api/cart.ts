import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { z } from 'zod';
import {
  addToCart,
  changeQuantity,
  mergeCart,
  removeItem,
  type CartChangeError,
  type CartDependencies as CartCommandDependencies,
  type CartRequest,
} from '../commands/cart.ts';
import type { PriceLookup } from '../commands/listed-products.ts';
import { maxQuantityPerLine } from '../domain/cart/index.ts';
import type { CurrentCart } from '../projections/carts/current-cart.ts';
import { pricedCart } from '../projections/carts/priced-cart.ts';
import { caller, requireRole } from './auth.ts';
import { skuSchema, text } from './catalog.ts';
import { commandContext } from './context.ts';
import { domainProblem, HttpProblem } from './problem.ts';

const quantity = z.int().min(1).max(maxQuantityPerLine);
const skuParams = z.strictObject({ sku: skuSchema });
const money = z.object({ amount: z.int(), currency: z.string() });
const pricedCartSchema = z.object({
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

export type CartDependencies = CartCommandDependencies &
  Readonly<{
    /** The customer's open cart as `GET /cart` shows it: every change committed before the request. */
    cartView(customerId: string): Promise<CurrentCart>;
    prices: PriceLookup;
  }>;

/**
 * The customer's own cart (customer role). There is never a cart id in a URL: the cart is found
 * from the signed-in customer. Prices are today's (the lookup checkout uses too); a line whose product
 * is no longer listed shows no price and is left out of the total. What a cart may hold is capped at
 * what the inventory streams say is sellable now (see src/commands/cart.ts).
 */
export const cartRoutes: FastifyPluginAsync<{ cart: CartDependencies }> = async (app, { cart: deps }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', requireRole('customer'));
  const answersWithCart = { tags: ['cart'], security: [{ bearer: [] }], response: { 200: pricedCartSchema } };

  async function priced(cart: Pick<CurrentCart, 'cartId' | 'items'>) {
    const view = pricedCart(cart, await deps.prices(cart.items.map((line) => line.sku)));
    if (!view)
      throw new HttpProblem(422, 'cart-too-large', 'Cart too large', 'the cart total is too large to count');
    return view;
  }

  const cartRequest = (request: FastifyRequest): CartRequest => ({
    customerId: caller(request).userId,
    context: commandContext(request),
  });

  /** The changed cart, priced; or the rule the change broke. */
  const answer = async (result: Either<CartChangeError, CurrentCart>) => {
    if (isLeft(result)) {
      if (result.left.code === 'ProductNotFound')
        throw new HttpProblem(404, 'not-found', 'Not found', result.left.message);
      throw domainProblem(result.left);
    }
    return priced(result.right);
  };

  routes.get('/cart', { schema: answersWithCart }, async (request) =>
    priced(await deps.cartView(caller(request).userId)),
  );

  routes.post(
    '/cart/items',
    { schema: { ...answersWithCart, body: z.strictObject({ sku: skuSchema, quantity }) } },
    async (request) => answer(await addToCart(deps, cartRequest(request), request.body)),
  );

  routes.put(
    '/cart/items/:sku',
    { schema: { ...answersWithCart, params: skuParams, body: z.strictObject({ quantity }) } },
    async (request) =>
      answer(
        await changeQuantity(deps, cartRequest(request), {
          sku: request.params.sku,
          quantity: request.body.quantity,
        }),
      ),
  );

  routes.delete('/cart/items/:sku', { schema: { ...answersWithCart, params: skuParams } }, async (request) =>
    answer(await removeItem(deps, cartRequest(request), request.params.sku)),
  );

  routes.post('/cart/merge', { schema: { ...answersWithCart, body: guestCart } }, async (request) =>
    answer(await mergeCart(deps, cartRequest(request), request.body.items)),
  );
};
