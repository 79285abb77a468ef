import type { SqlClient } from '../db/sql-client.ts';
import type { CatalogFilters, CatalogPage, CatalogReadModel } from '../projections/catalog/index.ts';
import type { ListingPages } from './listing-pages.ts';

export type { CatalogFilters, CatalogPage } from '../projections/catalog/queries.ts';

/**
 * Catalog search: listed products matching words, filters and attributes, one sorted page of them,
 * and facet counts (category, brand, price range) over every match. Three adapters answer alike:
 * PostgreSQL full-text search over the catalog read model, an Elasticsearch index, and an index in
 * this process's memory (the embedded profile).
 */
export type CatalogSearch = Readonly<{
  engine: 'postgres' | 'elasticsearch' | 'in-process';
  searchCatalog(filters: CatalogFilters): Promise<CatalogPage>;
  /**
   * Listing pages as `GET /products` answers them, kept where the engine's changes can drop them
   * (src/search/listing-pages.ts); absent: every page is searched.
   */
  listings?: ListingPages;
  /** Resolves when the engine answers; rejects with the reason otherwise (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}>;

/** Search in the SQL catalog read model (PostgreSQL or PGlite): nothing to run beside it. */
export const sqlCatalogSearch = (
  db: SqlClient,
  catalog: Pick<CatalogReadModel, 'searchCatalog'>,
): CatalogSearch => ({
  engine: 'postgres',
  searchCatalog: (filters) => catalog.searchCatalog(filters),
  ping: async () => {
    await db.query('SELECT 1');
  },
  close: async () => undefined,
});
