import type { SqlTransaction } from '../../db/sql-client.ts';
import { INVENTORY_EVENT_TYPES, PRODUCT_EVENT_TYPES } from '../../domain/event-types.ts';
import { stockChange, type InventoryEvent } from '../../domain/inventory/index.ts';
import type { ProductEvent } from '../../domain/product/index.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { WrittenRevisions } from './product-cache.ts';
import { priceBucketOf } from './queries.ts';

type ProductRow = {
  sku: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  attributes: unknown;
  price_amount: number;
  currency: string;
  listed: boolean;
  listed_at: string;
  updated_at: string;
};

const productTypes: ReadonlySet<string> = new Set(PRODUCT_EVENT_TYPES);

/**
 * Product documents, availability per SKU and the facet counts of the catalog. A batch is folded in
 * memory first and written with one statement per table, so catching up on a large catalog costs a
 * few round trips, not one per event. `committed` hears each live batch's events once it committed.
 */
export const createCatalogProjection = (
  written = new WrittenRevisions(),
  committed?: (events: readonly RecordedEvent[]) => void,
): SqlProjection => ({
  name: 'catalog',
  ...(committed ? { afterCommit: committed } : {}),
  rebuild: {
    tables: ['products', 'product_availability', 'catalog_facet_counts', 'catalog_products_written'],
  },
  eventTypes: new Set([...PRODUCT_EVENT_TYPES, ...INVENTORY_EVENT_TYPES]),
  // A batch of stock changes alone (most batches: every checkout's) reads, then writes one statement.
  readsThenWrites: (events) => events.every((e) => !productTypes.has(e.type)),
  async apply(tx, events) {
    const productEvents = events.filter((e) => productTypes.has(e.type));
    const stockEvents = events.filter((e) => !productTypes.has(e.type));
    if (productEvents.length === 0) {
      // Stock alone (most batches: every checkout): only SKUs that sell out or come back move counts.
      await writeAvailability(tx, asDomain<InventoryEvent>(stockEvents), written, { countFlips: true });
      return;
    }
    const skus = JSON.stringify([...new Set(events.map((e) => (e.data as { sku: string }).sku))]);
    await countFacets(tx, skus, -1);
    await writeProducts(tx, asDomain<ProductEvent>(productEvents), written);
    if (stockEvents.length > 0)
      await writeAvailability(tx, asDomain<InventoryEvent>(stockEvents), written, { countFlips: false });
    await countFacets(tx, skus, 1);
  },
});

/** Adds the (category, brand, price bucket, in stock, products) rows `select` makes to the counts. */
const addToFacetCounts = (select: string) =>
  `INSERT INTO catalog_facet_counts AS f (category, brand, price_bucket, in_stock, products) ${select}
   ON CONFLICT (category, brand, price_bucket, in_stock) DO UPDATE SET products = f.products + EXCLUDED.products`;

/**
 * Takes the batch's SKUs out of `catalog_facet_counts` as they were (sign -1) or puts them in as they
 * now are (sign 1): a SKU listed, delisted, moved to another category, brand or price range, sold out
 * or restocked moves from one count to another, and every other SKU leaves the counts as they were.
 */
const countFacets = (tx: SqlTransaction, skus: string, sign: 1 | -1) =>
  tx.query(
    addToFacetCounts(`
     SELECT p.category, p.brand, ${priceBucketOf('p.price_amount')}, p.in_stock, $2 * count(*)
       FROM products p
      WHERE p.listed AND p.sku IN (SELECT jsonb_array_elements_text($1::jsonb))
      GROUP BY 1, 2, 3, 4`),
    [skus, sign],
  );

/** Only the deciders write these event types, so each one's data has the shape its type declares. */
const asDomain = <E>(events: readonly RecordedEvent[]) => events as unknown as readonly E[];

/** Groups events by the SKU they are about, keeping their order. */
const bySku = <E extends { data: { sku: string } }>(events: readonly E[]): Map<string, E[]> => {
  const groups = new Map<string, E[]>();
  for (const event of events) {
    const group = groups.get(event.data.sku);
    if (group) group.push(event);
    else groups.set(event.data.sku, [event]);
  }
  return groups;
};

const evolveRow = (row: ProductRow | undefined, event: ProductEvent): ProductRow | undefined => {
  switch (event.type) {
    case 'ProductListed': {
      const { price, at, ...details } = event.data;
      // A product listed again keeps its first listing time, so "newest" does not reshuffle.
      const listedAt = row?.listed_at ?? at;
      return {
        ...details,
        price_amount: price.amount,
        currency: price.currency,
        listed: true,
        listed_at: listedAt,
        updated_at: at,
      };
    }
    case 'ProductDetailsChanged': {
      const { at, ...details } = event.data;
      return row && { ...row, ...details, updated_at: at };
    }
    case 'ProductPriceChanged':
      return (
        row && {
          ...row,
          price_amount: event.data.price.amount,
          currency: event.data.price.currency,
          updated_at: event.data.at,
        }
      );
    case 'ProductDelisted':
      return row && { ...row, listed: false, updated_at: event.data.at };
  }
};

async function writeProducts(tx: SqlTransaction, events: readonly ProductEvent[], written: WrittenRevisions) {
  const groups = bySku(events);
  // Rows are read only for SKUs whose first event in this batch does not carry the whole document.
  const needed = [...groups].filter(([, group]) => group[0]!.type !== 'ProductListed').map(([sku]) => sku);
  const current = new Map<string, ProductRow>();
  if (needed.length > 0) {
    const rows = await tx.query<ProductRow>(
      `SELECT sku, title, description, brand, category, attributes, price_amount, currency, listed,
              listed_at::text AS listed_at, updated_at::text AS updated_at
         FROM products WHERE sku IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(needed)],
    );
    for (const row of rows) current.set(row.sku, { ...row, price_amount: Number(row.price_amount) });
  }
  const changes = [];
  for (const [sku, group] of groups) {
    const row = group.reduce(evolveRow, current.get(sku));
    if (row) changes.push({ ...row, sku, revision: group.length });
  }
  if (changes.length === 0) return;
  const rows = await tx.query<{ sku: string; revision: string | number }>(
    `INSERT INTO products AS p (sku, title, description, brand, category, attributes, price_amount, currency,
                                listed, listed_at, updated_at, revision, in_stock)
     SELECT r.*, COALESCE((SELECT a.available > 0 FROM product_availability a WHERE a.sku = r.sku), false)
       FROM jsonb_to_recordset($1::jsonb) AS r(sku text, title text, description text, brand text,
       category text, attributes jsonb, price_amount bigint, currency text, listed boolean,
       listed_at timestamptz, updated_at timestamptz, revision bigint)
     ON CONFLICT (sku) DO UPDATE SET
       title = EXCLUDED.title, description = EXCLUDED.description, brand = EXCLUDED.brand,
       category = EXCLUDED.category, attributes = EXCLUDED.attributes, price_amount = EXCLUDED.price_amount,
       currency = EXCLUDED.currency, listed = EXCLUDED.listed, listed_at = p.listed_at,
       updated_at = EXCLUDED.updated_at, revision = p.revision + EXCLUDED.revision
     RETURNING sku, revision`,
    [JSON.stringify(changes)],
  );
  for (const row of rows) written.raise(row.sku, 'product', Number(row.revision));
  await tx.query(
    `INSERT INTO catalog_products_written (written) VALUES (pg_current_xact_id())
     ON CONFLICT (one) DO UPDATE SET written = EXCLUDED.written`,
  );
}

/**
 * Adds the batch's stock changes to `product_availability` and keeps `products.in_stock` in step (for
 * searches that filter on it without a join). With `countFlips`, a listed product that sold out or
 * came back also moves from one facet count to the other, in the same statement; without, the
 * caller recounts the batch's SKUs itself.
 */
async function writeAvailability(
  tx: SqlTransaction,
  events: readonly InventoryEvent[],
  written: WrittenRevisions,
  { countFlips }: { countFlips: boolean },
) {
  const changes = [...bySku(events)].map(([sku, group]) => ({
    sku,
    on_hand: group.reduce((sum, e) => sum + stockChange(e).onHand, 0),
    reserved: group.reduce((sum, e) => sum + stockChange(e).reserved, 0),
    revision: group.length,
  }));
  // The revisions are raised before the write commits, as the cache wants (see WrittenRevisions):
  // read first, each SKU's revision is what it was plus its events in this batch.
  const before = await tx.query<{ sku: string; revision: string | number }>(
    `SELECT sku, revision FROM product_availability WHERE sku = ANY($1::text[])`,
    [changes.map((c) => c.sku)],
  );
  const revisions = new Map(before.map((row) => [row.sku, Number(row.revision)]));
  for (const { sku, revision } of changes) written.raise(sku, 'stock', (revisions.get(sku) ?? 0) + revision);
  await tx.query(
    `WITH written AS (
       INSERT INTO product_availability AS a (sku, on_hand, reserved, revision)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(sku text, on_hand bigint, reserved bigint, revision bigint)
       ON CONFLICT (sku) DO UPDATE SET
         on_hand = a.on_hand + EXCLUDED.on_hand, reserved = a.reserved + EXCLUDED.reserved,
         revision = a.revision + EXCLUDED.revision
       RETURNING sku, available),
     flipped AS (
       UPDATE products p SET in_stock = w.available > 0 FROM written w
        WHERE p.sku = w.sku AND p.in_stock <> (w.available > 0)
       RETURNING p.category, p.brand, p.price_amount, p.in_stock, p.listed),
     counted AS (
       ${addToFacetCounts(`
       SELECT category, brand, ${priceBucketOf('price_amount')}, s.in_stock, sum(s.delta)
         FROM flipped, LATERAL (VALUES (flipped.in_stock, 1), (NOT flipped.in_stock, -1)) AS s(in_stock, delta)
        WHERE $2 AND flipped.listed
        GROUP BY 1, 2, 3, 4`)})
     SELECT count(*) FROM written`,
    [JSON.stringify(changes), countFlips],
  );
}
