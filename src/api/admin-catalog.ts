import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Handled } from '../commands/command-handler.ts';
import { streams, type CommandHandlers } from '../commands/index.ts';
import { NOT_BLANK } from '../domain/command-data.ts';
import type { DomainError } from '../domain/decider.ts';
import { availableToSell } from '../domain/inventory/index.ts';
import { productError, type Product, type ProductState } from '../domain/product/index.ts';
import { CATALOG_CURRENCY } from '../projections/catalog/index.ts';
import { requireRole } from './auth.ts';
import { productDocument, skuSchema, stockLevel, stockLevelOf, text } from './catalog.ts';
import { commandContext } from './context.ts';
import { domainProblem, notFound } from './problem.ts';

const name = text(300).regex(NOT_BLANK, 'must not be blank');
const productBody = z.strictObject({
  title: name,
  description: text(20_000),
  brand: name,
  category: name,
  attributes: z
    .record(text(100).min(1), z.union([text(1000), z.number(), z.boolean()]))
    .refine((record) => Object.keys(record).length <= 100, 'at most 100 attributes'),
  price: z.strictObject({
    // Ten million in minor units keeps every cart total far inside exact integer arithmetic.
    amount: z.int().nonnegative().max(1_000_000_000),
    currency: z.literal(CATALOG_CURRENCY, `the shop sells in ${CATALOG_CURRENCY}`),
  }),
});
const skuParams = z.strictObject({ sku: skuSchema });
const MAX_UNITS = 1_000_000;
const receiveBody = z.strictObject({ quantity: z.int().min(1).max(MAX_UNITS) });
const adjustBody = z.strictObject({
  delta: z
    .int()
    .min(-MAX_UNITS)
    .max(MAX_UNITS)
    .refine((delta) => delta !== 0, 'must not be zero')
    .meta({ not: { const: 0 } }),
  reason: text(500).regex(NOT_BLANK, 'must not be blank'),
});

/** The events were recorded, or the rule the command broke becomes the answer. */
const handled = <T>(result: Either<DomainError, T>): T => {
  if (isLeft(result)) throw domainProblem(result.left);
  return result.right;
};

export type AdminCatalogDependencies = Readonly<{
  products: Pick<CommandHandlers['product'], 'load' | 'handle'>;
  inventory: Pick<CommandHandlers['inventory'], 'load' | 'handle'>;
}>;

/** Catalog upkeep (admin only): list and edit products, receive and count stock. */
export const adminCatalogRoutes: FastifyPluginAsync<{ adminCatalog: AdminCatalogDependencies }> = async (
  app,
  { adminCatalog: { products, inventory } },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // Before the body is even read: a caller who may not write learns nothing about what a write looks like.
  app.addHook('onRequest', requireRole('admin'));

  const productStatus = async (sku: string): Promise<ProductState> =>
    (await products.load(streams.product(sku))).state;

  routes.put(
    '/admin/products/:sku',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        params: skuParams,
        body: productBody,
        response: { 200: productDocument, 201: productDocument },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const { price, ...details } = request.body;
      const context = commandContext(request);
      const stream = streams.product(sku);
      const at = new Date().toISOString();
      const before = await productStatus(sku);
      // Refused before the details change, so a refused price never leaves half an update behind.
      if (before.status === 'listed' && before.price.currency !== price.currency)
        throw domainProblem(
          productError('CurrencyMismatch', `${sku} is priced in ${before.price.currency}`, {
            expected: before.price.currency,
            actual: price.currency,
          }),
        );
      let result: Either<DomainError, Handled<unknown, ProductState>> | undefined;
      if (before.status !== 'listed') {
        result = await products.handle(
          stream,
          { type: 'ListProduct', data: { sku, ...details, price, at } },
          context,
        );
      }
      // Listed already, or listed by someone else a moment ago: then this is an update.
      if (!result || (isLeft(result) && result.left.code === 'ProductAlreadyListed')) {
        handled(
          await products.handle(
            stream,
            { type: 'ChangeProductDetails', data: { sku, ...details, at } },
            context,
          ),
        );
        result = await products.handle(stream, { type: 'ChangePrice', data: { sku, price, at } }, context);
      }
      const product = handled(result).state as Product;
      const stock = (await inventory.load(streams.inventory(sku))).state;
      return reply.code(before.status === 'unlisted' ? 201 : 200).send({
        sku: product.sku,
        title: product.title,
        description: product.description,
        brand: product.brand,
        category: product.category,
        attributes: product.attributes,
        price: product.price,
        available: availableToSell(stock),
        updatedAt: product.updatedAt,
      });
    },
  );

  routes.post(
    '/admin/inventory/:sku/receive',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        params: skuParams,
        body: receiveBody,
        response: { 200: stockLevel },
      },
    },
    async (request) => {
      const { sku } = request.params;
      if ((await productStatus(sku)).status !== 'listed') throw notFound(`listed product ${sku}`);
      const { quantity } = request.body;
      const { state } = handled(
        await inventory.handle(
          streams.inventory(sku),
          { type: 'ReceiveStock', data: { sku, quantity } },
          commandContext(request),
        ),
      );
      return stockLevelOf(sku, state);
    },
  );

  // A stock count may still correct a delisted product's units; a SKU never listed has none.
  routes.post(
    '/admin/inventory/:sku/adjust',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        params: skuParams,
        body: adjustBody,
        response: { 200: stockLevel },
      },
    },
    async (request) => {
      const { sku } = request.params;
      if ((await productStatus(sku)).status === 'unlisted') throw notFound(`product ${sku}`);
      const { delta, reason } = request.body;
      const { state } = handled(
        await inventory.handle(
          streams.inventory(sku),
          { type: 'AdjustStock', data: { sku, delta, reason } },
          commandContext(request),
        ),
      );
      return stockLevelOf(sku, state);
    },
  );
};
