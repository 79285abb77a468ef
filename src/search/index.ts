import { Client } from '@elastic/elasticsearch';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { CatalogReadModel } from '../projections/catalog/index.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import { sqlCatalogSearch, type CatalogSearch } from './catalog-search.ts';
import { catalogAlias } from './elasticsearch/catalog-index.ts';
import { elasticsearchCatalogSearch } from './elasticsearch/elasticsearch-search.ts';
import { catalogSearchProjection } from './elasticsearch/projection.ts';
import { catalogSearchRebuild, ensureCatalogIndex, type RebuildProgress } from './elasticsearch/rebuild.ts';

export type { CatalogSearch } from './catalog-search.ts';
export { sqlCatalogSearch } from './catalog-search.ts';
export { CATALOG_SEARCH_PROJECTION } from './elasticsearch/projection.ts';

/** Catalog search as the platform wires it: the search itself, and what keeps its index up to date. */
export type SearchModule = Readonly<{
  search: CatalogSearch;
  /** Elasticsearch only: the projection a worker runs to feed the index. */
  projection?: ExternalProjection;
  /** Elasticsearch only: rebuilds the index from position 0 and swaps it in (name `catalog-search`). */
  rebuildable?: Readonly<{
    name: string;
    rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<{ events: number }>;
  }>;
}>;

/**
 * Elasticsearch when ELASTICSEARCH_URL is set (its index is created on first use, behind the alias
 * `<ELASTICSEARCH_INDEX_PREFIX>catalog`); else PostgreSQL/PGlite full-text search.
 */
export async function openCatalogSearch(
  config: Pick<Config, 'ELASTICSEARCH_URL' | 'ELASTICSEARCH_INDEX_PREFIX'>,
  db: SqlClient,
  store: EventStore,
  catalog: Pick<CatalogReadModel, 'searchCatalog'>,
): Promise<SearchModule> {
  if (!config.ELASTICSEARCH_URL) return { search: sqlCatalogSearch(db, catalog) };
  const client = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 30_000 });
  const prefix = config.ELASTICSEARCH_INDEX_PREFIX;
  const alias = catalogAlias(prefix);
  try {
    await ensureCatalogIndex({ client, db, prefix });
  } catch (error) {
    await client.close();
    throw error;
  }
  return {
    search: elasticsearchCatalogSearch(client, alias),
    projection: catalogSearchProjection({ client, store, alias }),
    rebuildable: catalogSearchRebuild({ client, store, db, prefix }),
  };
}
