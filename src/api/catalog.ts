import type { FastifyPluginAsync, FastifyReply, FastifySchemaCompiler } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import { streams, type CommandHandlers } from '../commands/index.ts';
import { availableToSell, type InventoryState } from '../domain/inventory/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { SORTS, type ProductPage } from '../projections/catalog/index.ts';
import type { StockAt } from '../projections/stock-history/index.ts';
import type { CatalogSearch } from '../search/catalog-search.ts';
import { searchedListingPages } from '../search/listing-pages.ts';
import { asOfOnlyFor, asOfQuery, existedAt } from './as-of.ts';
import { notFound } from './problem.ts';

/** What a SKU may look like: it becomes part of the `product-<sku>` and `inventory-<sku>` stream ids. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,63}$/;
export const skuSchema = z
  .string()
  .regex(SKU_PATTERN, 'must be 1-64 letters, digits or ._:@+- (starting with a letter or digit)');

/**
 * Text PostgreSQL can store and index: no NUL character, no lone half of a UTF-16 surrogate pair.
 * The document shows the first as a pattern; the second is not Unicode text at all (JSON Schema's
 * readers in most languages cannot even hold it), so it stays a refinement the document leaves out.
 */
const UNPAIRED_SURROGATE = /\p{Cs}/u;
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000]*$/, 'must be text without NUL characters')
    .refine((value) => !UNPAIRED_SURROGATE.test(value), 'must be text without unpaired surrogates');

/** Reads take any SKU: one that cannot exist is simply not found. */
const ANY_SKU_MAX = 200;
export const anySku = z.strictObject({ sku: z.string().max(ANY_SKU_MAX) });

/**
 * The params validator of `/products/:sku`: the router hands over exactly `{ sku }`, as text, so only
 * its length is left to check; zod (anySku, the documented schema) judges the rest and words the error.
 */
const skuParams: FastifySchemaCompiler<unknown> = (route) => {
  const zod = validatorCompiler(route as FastifyRouteSchemaDef<$ZodType>);
  if (route.httpPart !== 'params' || route.schema !== anySku) return zod;
  return (params: { sku?: unknown }) =>
    typeof params.sku === 'string' && params.sku.length <= ANY_SKU_MAX ? { value: params } : zod(params);
};

const money = z.object({ amount: z.int(), currency: z.string() });
const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const summary = z.object({
  sku: z.string(),
  title: z.string(),
  price: money,
  brand: z.string(),
  category: z.string(),
  attributes,
  available: z.int(),
});
export const productDocument = summary.extend({ description: z.string(), updatedAt: z.string() });
export const stockLevel = z.object({
  sku: z.string(),
  onHand: z.int(),
  reserved: z.int(),
  available: z.int(),
});

const price = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** `attr=colour:red`: the attribute's name, a colon, the value (which may hold colons itself). */
const attributeFilter = text(300).regex(/^[^:]+:/, 'must be name:value');
/** Repeated `attr` parameters: any of the values given for one name, and every name given. */
const attributeFilters = z
  .union([attributeFilter, z.array(attributeFilter).max(20)])
  .transform((given) => {
    const byName: Record<string, string[]> = {};
    for (const filter of Array.isArray(given) ? given : [given]) {
      const colon = filter.indexOf(':');
      (byName[filter.slice(0, colon)] ??= []).push(filter.slice(colon + 1));
    }
    return byName;
  })
  .meta({
    description:
      'Attribute filter `name:value`, repeatable: `attr=colour:red&attr=colour:blue&attr=volts:18` is ' +
      'red or blue, and 18 volts. A value matches text, numbers (`18`) and booleans (`true`) alike.',
  });
const listQuery = z.strictObject({
  q: text(200)
    .optional()
    .meta({ description: 'Words in the title, brand or description: every word, the last one as a prefix.' }),
  category: text(300).optional(),
  brand: text(300).optional(),
  minPrice: price.optional(),
  maxPrice: price.optional(),
  inStock: z
    .enum(['true', 'false'])
    .transform((given) => given === 'true')
    .optional(),
  attr: attributeFilters.optional(),
  sort: z
    .enum(SORTS)
    .optional()
    .meta({ description: 'Default: `relevance` with `q` (best matches first), else `newest`.' }),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  // Capped rather than refused: asking for more than a page holds is not an error.
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .transform((n) => Math.min(n, 100))
    .default(20),
});
const facetCount = z.object({ value: z.string(), count: z.int() });
const catalogPage = z.object({
  items: z.array(summary),
  total: z.int(),
  page: z.int(),
  pageSize: z.int(),
  facets: z.object({
    category: z.array(facetCount),
    brand: z.array(facetCount),
    price: z.array(z.object({ from: z.int(), to: z.int().nullable(), count: z.int() })),
  }),
});

export const stockLevelOf = (sku: string, state: Pick<InventoryState, 'onHand' | 'reserved'>) => ({
  sku,
  onHand: state.onHand,
  reserved: state.reserved,
  available: availableToSell(state),
});

export type CatalogDependencies = Readonly<{
  search: Pick<CatalogSearch, 'searchCatalog' | 'listings'>;
  pages: Readonly<{
    /** A listed product's page, from the page cache or the catalog read model (filling the cache). */
    read(sku: string): Promise<ProductPage | undefined>;
    /** The page if this process holds it, without waiting (absent: the cache is elsewhere). */
    peek?: (sku: string) => ProductPage | undefined;
  }>;
  inventory: Pick<CommandHandlers['inventory'], 'load'>;
  store: Pick<EventStore, 'readStream' | 'streamVersion'>;
  /** On hand and reserved as recorded at a moment (the stock-history read model); undefined: no stock event yet. */
  stockAsOf(sku: string, asOf: string): Promise<StockAt | undefined>;
}>;

/** Browsing and product pages (anyone), and exact stock levels. */
export const catalogRoutes: FastifyPluginAsync<{ catalog: CatalogDependencies }> = async (
  app,
  { catalog: { search, pages, inventory, store, stockAsOf } },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  // Listing pages come as JSON (the documented catalogPage), kept where the search engine's changes
  // reach them: a page this process keeps is sent at once, as product pages are.
  const listings = search.listings ?? searchedListingPages(search);
  const sendListing = (reply: FastifyReply, json: string) => {
    reply.type('application/json; charset=utf-8').send(json);
  };
  routes.get(
    '/products',
    { schema: { tags: ['catalog'], querystring: listQuery, response: { 200: catalogPage } } },
    (request, reply) => {
      const { attr, ...filters } = request.query;
      const answer = listings.answer({ ...filters, ...(attr ? { attributes: attr } : {}) });
      if (typeof answer !== 'string') return answer.then((json) => sendListing(reply, json));
      sendListing(reply, answer);
    },
  );

  // Already JSON (the documented productDocument): Fastify sends a string as it is, unserialised.
  const sendPage = (reply: FastifyReply, page: ProductPage) =>
    reply.type('application/json; charset=utf-8').send(page.json);
  const readPage = async (sku: string, reply: FastifyReply) => {
    const page = SKU_PATTERN.test(sku) ? await pages.read(sku) : undefined;
    if (!page) throw notFound(`product ${sku}`);
    return sendPage(reply, page);
  };
  routes.get(
    '/products/:sku',
    {
      schema: { tags: ['catalog'], params: anySku, response: { 200: productDocument } },
      validatorCompiler: skuParams,
    },
    // Not async: a page this process holds is sent at once, in the tick that read the request, with
    // no promise on the way (the busiest route of the shop). Only a miss waits for the read model.
    (request, reply) => {
      const { sku } = request.params;
      const cached = pages.peek?.(sku);
      if (!cached) return readPage(sku, reply);
      sendPage(reply, cached);
    },
  );

  // Now: read from the inventory stream, not the read model, so exact at the moment of asking. As of a
  // moment: from the stock history, which stays exact while its projection lags.
  routes.get(
    '/inventory/:sku',
    {
      onRequest: asOfOnlyFor('admin', 'auditor'),
      schema: {
        tags: ['catalog'],
        security: [{}, { bearer: [] }],
        params: anySku,
        querystring: asOfQuery,
        description:
          'The stock now, to anyone. With `asOf` (admins and auditors only), the stock as recorded at ' +
          "that moment (the inventory stream's events recorded up to then): 404 before the SKU " +
          'existed, 400 for a time in the future or not ISO 8601.',
        response: { 200: stockLevel },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const { asOf } = request.query;
      if (!SKU_PATTERN.test(sku)) throw notFound(`SKU ${sku}`);
      if (asOf !== undefined) {
        const stock = await stockAsOf(sku, asOf);
        if (stock) return stockLevelOf(sku, stock);
        // No stock event by then: a listed product with no stock yet, or nothing at all.
        if (!(await existedAt(store, streams.product(sku), asOf))) throw notFound(`SKU ${sku} as of ${asOf}`);
        return stockLevelOf(sku, { onHand: 0, reserved: 0 });
      }
      const { state, version } = await inventory.load(streams.inventory(sku));
      if (version === 0 && (await store.streamVersion(streams.product(sku))) === 0)
        throw notFound(`SKU ${sku}`);
      return stockLevelOf(sku, state);
    },
  );
};
