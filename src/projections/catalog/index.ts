import type { SqlClient } from '../../db/sql-client.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { FacetCache } from './facet-cache.ts';
import { createCatalogProjection } from './projection.ts';
import { inProcessPageCache, ProductCache, WrittenRevisions, type PageCache } from './product-cache.ts';
import {
  productPage,
  searchCatalog,
  type CatalogFilters,
  type CatalogPage,
  type ProductPage,
} from './queries.ts';

export { createCatalogProjection } from './projection.ts';
export { FacetCache } from './facet-cache.ts';
export * from './product-cache.ts';
export * from './queries.ts';

/**
 * The catalog read model of one database: its projection, and the caches that the projection's
 * writes keep exact (its revisions refuse pages read before a write; facet counts are kept per
 * catalog version).
 */
export type CatalogReadModel = Readonly<{
  projection: SqlProjection;
  /** What the projection has written, for caches of pages kept elsewhere (Redis). */
  written: WrittenRevisions;
  /**
   * This process's product pages: kept 3 s, enough to bound how stale a page gets while the
   * projection runs in another process; `keepFor` lengthens it once the projection runs here.
   */
  pages: ProductCache<ProductPage>;
  productPage(sku: string, cache?: PageCache<ProductPage>): Promise<ProductPage | undefined>;
  searchCatalog(filters: CatalogFilters): Promise<CatalogPage>;
  /**
   * Hears the product and inventory events of each batch the projection commits in this process (ROLE
   * all or worker), in log order; returns how to stop hearing them.
   */
  followCommits(listener: (events: readonly RecordedEvent[]) => void): () => void;
}>;

export function createCatalogReadModel(db: SqlClient): CatalogReadModel {
  const written = new WrittenRevisions();
  const pages = new ProductCache<ProductPage>(10_000, 3_000, () => Date.now(), written);
  const facets = new FacetCache();
  const inProcess = inProcessPageCache(pages);
  const listeners = new Set<(events: readonly RecordedEvent[]) => void>();
  return {
    projection: createCatalogProjection(written, (events) => {
      for (const listener of listeners) listener(events);
    }),
    written,
    pages,
    productPage: (sku, cache = inProcess) => productPage(db, sku, cache),
    searchCatalog: (filters) => searchCatalog(db, filters, facets),
    followCommits(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
