import type { CatalogPage } from './types.ts';

export type FacetCounts = Readonly<Pick<CatalogPage, 'total' | 'facets'>>;

/**
 * The catalog's versions. `catalog`: the catalog projection's checkpoint; its rows change only in the
 * transactions that move it (a rebuild's swap included), so counts made at one checkpoint hold until
 * it moves. `products`: the last transaction that wrote product documents; counts that do not depend on
 * stock (no in-stock filter) hold until it changes, while checkouts move stock and the checkpoint on.
 * Empty when the projection never ran.
 */
export const CATALOG_VERSION_SQL = `SELECT
  (SELECT transaction_id::text || ':' || global_position FROM projection_checkpoints
    WHERE projection = 'catalog') AS catalog,
  (SELECT written::text FROM catalog_products_written) AS products`;

export type CatalogVersion = { catalog: string | null; products: string | null };

/**
 * Facet counts and totals by search, least recently used first out. Counting facets reads every
 * match (most of the catalog for a broad search), while the page itself is a few index reads; a
 * count is reused only at the catalog version it was asked at (see CATALOG_VERSION_SQL). The version
 * is read before the count is made, so a count may be newer than its version, never older.
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
