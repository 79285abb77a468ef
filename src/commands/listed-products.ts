import { availableToSell, type InventoryState } from '../domain/inventory/index.ts';
import type { Money } from '../domain/money.ts';
import type { ProductState } from '../domain/product/index.ts';
import { isStreamId } from '../eventstore/validation.ts';
import { streams } from './index.ts';

/**
 * What is for sale, read from the product and inventory streams themselves: the one price lookup of
 * the cart and of checkout, and the units a cart may hold. A product listed, priced or stocked a
 * moment ago counts at once; no read model's lag decides what a customer pays or may buy.
 */

type Loaded<S> = Readonly<{ state: S; version: number }>;

export type ProductStates = Readonly<{
  loadMany(streamIds: readonly string[]): Promise<ReadonlyMap<string, Loaded<ProductState>>>;
}>;

/** Today's price of each SKU that is for sale; a SKU absent from the answer is not listed. */
export type PriceLookup = (skus: readonly string[]) => Promise<ReadonlyMap<string, Money>>;

/** Units of each listed SKU sellable now; a SKU absent from the answer is not listed. */
export type SellableLookup = (skus: readonly string[]) => Promise<ReadonlyMap<string, number>>;

/** A SKU that cannot name a stream (e.g. from a guest cart kept for weeks) names no product. */
const possibleSkus = (skus: readonly string[]) =>
  [...new Set(skus)].filter((sku) => isStreamId(streams.product(sku)) && isStreamId(streams.inventory(sku)));

/** The listed products among `skus` (already filtered by possibleSkus), read in one go. */
async function listedProducts(products: ProductStates, known: readonly string[]) {
  const states = await products.loadMany(known.map((sku) => streams.product(sku)));
  return known.flatMap((sku) => {
    const state = states.get(streams.product(sku))?.state;
    return state?.status === 'listed' ? [{ sku, price: state.price }] : [];
  });
}

/** Prices from the product streams: exact at the moment of asking. */
export const listedPrices =
  (commands: Readonly<{ product: ProductStates }>): PriceLookup =>
  async (skus) =>
    new Map(
      (await listedProducts(commands.product, possibleSkus(skus))).map(({ sku, price }) => [sku, price]),
    );

export type SellableDependencies = Readonly<{
  products: ProductStates;
  inventory: Readonly<{ load(streamId: string): Promise<Loaded<InventoryState>> }>;
  /** The inventory stream's present version. */
  streamVersion(streamId: string): Promise<number>;
  /** Stock counters kept beside the log (src/cache/), each with the stream version it counted to. */
  stockCounters(
    inventoryStreamIds: readonly string[],
  ): Promise<readonly (Readonly<{ available: number; version: number }> | undefined)[]>;
}>;

/**
 * How many units of each listed SKU are sellable now. The stock counters answer when they are at the
 * inventory stream's present version (then they are exact, and a long stream need not be read and
 * folded); else the stream itself does.
 */
export const sellableUnits =
  (deps: SellableDependencies): SellableLookup =>
  async (skus) => {
    const known = possibleSkus(skus);
    const inventories = known.map((sku) => streams.inventory(sku));
    const [listed, counted] = await Promise.all([
      listedProducts(deps.products, known),
      deps.stockCounters(inventories).catch(() => inventories.map(() => undefined)),
    ]);
    const countersOf = new Map(known.map((sku, i) => [sku, counted[i]]));
    const levels = await Promise.all(
      listed.map(async ({ sku }) => {
        const stream = streams.inventory(sku);
        const counters = countersOf.get(sku);
        if (counters && counters.version === (await deps.streamVersion(stream)))
          return [sku, counters.available] as const;
        return [sku, availableToSell((await deps.inventory.load(stream)).state)] as const;
      }),
    );
    return new Map(levels);
  };
