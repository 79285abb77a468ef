import type { SqlClient } from '../db/sql-client.ts';
import type { CatalogPage } from '../projections/catalog/queries.ts';

export type FacetCounts = Readonly<Pick<CatalogPage, 'total' | 'facets'>>;

/**
 * The catalog's version: the catalog projection's checkpoint. Its rows change only in the
 * transactions that move this checkpoint (a rebuild's swap included), so counts made at one version
 * hold until it moves. Empty when the projection never ran.
 */
export const CATALOG_VERSION_SQL = `SELECT transaction_id::text || ':' || global_position AS version
  FROM projection_checkpoints WHERE projection = 'catalog'`;

/**
 * Facet counts and totals by search, least recently used first out. Counting facets reads every
 * match (most of the catalog for a broad search), while the page itself is a few index reads; a
 * count is reused only at the catalog version it was asked at. The version is read before the count
 * is made, so a count may be newer than its version, never older.
 */
export class FacetCache {
  private readonly entries = new Map<string, { version: string; counts: FacetCounts }>();

  constructor(private readonly capacity = 1_000) {}

  get(search: string, version: string): FacetCounts | undefined {
    const entry = this.entries.get(search);
    if (!entry || entry.version !== version) return undefined;
    this.entries.delete(search);
    this.entries.set(search, entry);
    return entry.counts;
  }

  set(search: string, version: string, counts: FacetCounts): void {
    this.entries.delete(search);
    this.entries.set(search, { version, counts });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** One cache per database, known by its client's `transaction` function (as the product cache). */
const caches = new WeakMap<SqlClient['transaction'], FacetCache>();

export function facetCacheOf(db: SqlClient): FacetCache {
  let cache = caches.get(db.transaction);
  if (!cache) caches.set(db.transaction, (cache = new FacetCache()));
  return cache;
}
