import type { SqlClient } from '../../db/sql-client.ts';
import type { Checkpoint, EventStore, RecordedEvent } from '../../eventstore/event-store.ts';
import type { CatalogReadModel } from '../../projections/catalog/index.ts';
import { loadCheckpoint } from '../../subscriptions/checkpoints.ts';
import {
  emptyDocument,
  evolveDocument,
  PRODUCT_TYPES,
  type CatalogDocument,
  type CatalogEvent,
} from '../catalog-document.ts';
import type { CatalogSearch } from '../catalog-search.ts';
import { changeTags, type ListingInvalidation } from '../listing-pages.ts';
import { CatalogIndex } from './catalog-index.ts';

/** The name under which the index's lag is reported. */
export const CATALOG_INDEX = 'catalog-index';

const PAGE = 10_000;

type ProductRow = {
  sku: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  attributes: CatalogDocument['attributes'];
  price_amount: string | number;
  currency: string;
  listed: boolean;
  listed_at: Date | string;
  updated_at: Date | string;
  revision: string | number;
};
type StockRow = {
  sku: string;
  on_hand: string | number;
  reserved: string | number;
  revision: string | number;
};

/**
 * The catalog read model as search documents, and the place in the log it had reached: read in one
 * snapshot (REPEATABLE READ), so the log after that checkpoint holds exactly what the rows miss.
 */
export async function readCatalogDocuments(
  db: SqlClient,
): Promise<{ docs: CatalogDocument[]; checkpoint: Checkpoint }> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const checkpoint = await loadCheckpoint(tx, 'catalog');
    const docs = new Map<string, CatalogDocument>();
    for (let after = ''; ;) {
      const rows = await tx.query<ProductRow>(
        `SELECT sku, title, description, brand, category, attributes, price_amount, currency, listed,
                listed_at, updated_at, revision
           FROM products WHERE sku > $1 ORDER BY sku LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows)
        docs.set(row.sku, {
          ...emptyDocument(row.sku),
          listed: row.listed,
          title: row.title,
          description: row.description,
          brand: row.brand,
          category: row.category,
          attributes: row.attributes ?? {},
          price: Number(row.price_amount),
          currency: row.currency,
          listedAt: new Date(row.listed_at).toISOString(),
          updatedAt: new Date(row.updated_at).toISOString(),
          productRevision: Number(row.revision),
        });
      if (rows.length < PAGE) break;
      after = rows.at(-1)!.sku;
    }
    for (let after = ''; ;) {
      const rows = await tx.query<StockRow>(
        `SELECT sku, on_hand, reserved, revision FROM product_availability
          WHERE sku > $1 ORDER BY sku LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows) {
        const onHand = Number(row.on_hand);
        const reserved = Number(row.reserved);
        docs.set(row.sku, {
          ...(docs.get(row.sku) ?? emptyDocument(row.sku)),
          onHand,
          reserved,
          available: onHand - reserved,
          stockRevision: Number(row.revision),
        });
      }
      if (rows.length < PAGE) break;
      after = rows.at(-1)!.sku;
    }
    return { docs: [...docs.values()], checkpoint };
  });
}

/**
 * Folds a batch of catalog events into the index's documents. Events a document already holds are
 * skipped, and one that misses earlier events reads them from its stream (as the Elasticsearch
 * projection does), so every document is exactly the first n events of its two streams. Returns the
 * listing tags the batch changed.
 */
export async function applyCatalogEvents(
  index: CatalogIndex,
  store: Pick<EventStore, 'readStream'>,
  events: readonly RecordedEvent[],
): Promise<string[]> {
  const bySku = new Map<string, CatalogEvent[]>();
  for (const event of events as readonly CatalogEvent[]) {
    const group = bySku.get(event.data.sku);
    if (group) group.push(event);
    else bySku.set(event.data.sku, [event]);
  }
  const changed: { before?: CatalogDocument; after: CatalogDocument }[] = [];
  for (const [sku, group] of bySku) {
    const before = index.get(sku);
    const start = before ?? emptyDocument(sku);
    let doc = start;
    for (const event of group) {
      const revision = PRODUCT_TYPES.has(event.type) ? doc.productRevision : doc.stockRevision;
      if (event.streamVersion <= revision) continue;
      if (event.streamVersion > revision + 1) {
        const missing = await store.readStream(event.streamId, {
          fromVersion: revision + 1,
          maxCount: event.streamVersion - revision - 1,
        });
        for (const earlier of missing as CatalogEvent[]) doc = evolveDocument(doc, earlier);
      }
      doc = evolveDocument(doc, event);
    }
    if (doc !== start) changed.push({ before, after: doc });
  }
  index.put(changed.map((change) => change.after));
  return [...new Set(changed.flatMap(({ before, after }) => changeTags(before, after)))];
}

/**
 * Catalog search in this process's memory (the embedded profile): PGlite answers one statement at a
 * time, this index as many searches as the thread has time for. Filled from the catalog read model
 * at start, then fed by the product and inventory events of every batch the catalog projection commits
 * here (no second reading of the log), so listings change with the product pages' rows; each batch
 * applied tells `invalidation` which kept listing answers it changed. Batches committed while the
 * read model is being read wait, and are applied after it (what it already held is skipped).
 */
export async function openInProcessCatalogSearch(deps: {
  db: SqlClient;
  store: Pick<EventStore, 'readStream'>;
  catalog: Pick<CatalogReadModel, 'followCommits'>;
  invalidation?: ListingInvalidation;
  onApplied?: (events: readonly RecordedEvent[]) => void;
  onError?: (error: unknown) => void;
}): Promise<CatalogSearch & { index: CatalogIndex }> {
  const { db, store, invalidation } = deps;
  const index = new CatalogIndex();
  let applying = Promise.resolve();
  let loaded = false;
  const waiting: (readonly RecordedEvent[])[] = [];
  const apply = async (events: readonly RecordedEvent[]) => {
    const tags = await applyCatalogEvents(index, store, events);
    if (tags.length > 0) await invalidation?.invalidate(tags);
    deps.onApplied?.(events);
  };
  const follow = (events: readonly RecordedEvent[]) => {
    if (!loaded) return void waiting.push(events);
    applying = applying.then(() => apply(events)).catch((error: unknown) => deps.onError?.(error));
  };
  const stop = deps.catalog.followCommits(follow);
  try {
    index.put((await readCatalogDocuments(db)).docs);
  } catch (error) {
    stop();
    throw error;
  }
  loaded = true;
  for (const events of waiting.splice(0)) follow(events);
  return {
    engine: 'in-process',
    index,
    searchCatalog: async (filters) => index.search(filters),
    ping: async () => undefined,
    async close() {
      stop();
      await applying;
    },
  };
}
