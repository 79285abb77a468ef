import { errors, type Client } from '@elastic/elasticsearch';

/**
 * The catalog search index: one document per SKU (`CatalogDocument`), folded from its product and
 * inventory streams. Searches and the live projection use the alias `<prefix>catalog`; behind it sits
 * one index per build, `<prefix>catalog-<timestamp>`, so a rebuild fills a new index while the old one
 * serves and then moves the alias in one step.
 */
export type { CatalogDocument } from '../catalog-document.ts';

export const catalogAlias = (prefix: string) => `${prefix}catalog`;

/** A new index name that sorts after every earlier one; the random tail keeps two builds apart. */
export const newCatalogIndexName = (prefix: string) =>
  `${prefix}catalog-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`;

/** Pages may go this deep (page 10,000 of 100): the default window of 10,000 hits is too small. */
const MAX_RESULT_WINDOW = 1_000_000;

/**
 * The minimal distribution has the standard analyzer only (no stemming, no stop words), keyword,
 * flattened and numeric fields, and no scripts. `searchText` gathers title, brand and description so
 * that every word of a search may be in any of them (as PostgreSQL's one tsvector over all three); it
 * only filters. No norms: a word in a short title scores as one in a long title, as with ts_rank.
 */
const mappings = {
  dynamic: 'strict',
  properties: {
    sku: { type: 'keyword' },
    listed: { type: 'boolean' },
    title: {
      type: 'text',
      analyzer: 'standard',
      norms: false,
      copy_to: 'searchText',
      fields: { sort: { type: 'keyword' } },
    },
    description: { type: 'text', analyzer: 'standard', norms: false, copy_to: 'searchText' },
    // Facets: their global ordinals are built at each refresh, not by the first search after it.
    brand: {
      type: 'keyword',
      eager_global_ordinals: true,
      copy_to: 'searchText',
      fields: { text: { type: 'text', analyzer: 'standard', norms: false } },
    },
    category: { type: 'keyword', eager_global_ordinals: true },
    // Any attribute names, each value indexed as a keyword ("18", "true"): term filters need no mapping per name.
    attributes: { type: 'flattened' },
    price: { type: 'long' },
    currency: { type: 'keyword', index: false },
    listedAt: { type: 'date' },
    updatedAt: { type: 'date', index: false },
    onHand: { type: 'long', index: false },
    reserved: { type: 'long', index: false },
    available: { type: 'integer' },
    productRevision: { type: 'long', index: false },
    stockRevision: { type: 'long', index: false },
    searchText: { type: 'text', analyzer: 'standard', norms: false, index_options: 'docs' },
  },
} as const;

/**
 * Creates an index for the catalog. One shard: facet counts are exact and a catalog of this size
 * fits one easily; no replicas on a single node. While `replaying`, it is not refreshed at all.
 */
export async function createCatalogIndex(
  client: Client,
  index: string,
  options: { alias?: string; replaying?: boolean } = {},
): Promise<void> {
  await client.indices.create({
    index,
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      max_result_window: MAX_RESULT_WINDOW,
      refresh_interval: options.replaying ? '-1' : '1s',
    },
    mappings,
    ...(options.alias ? { aliases: { [options.alias]: {} } } : {}),
  });
}

/** The index the alias points to now; undefined when there is no alias yet. */
export async function indexBehind(client: Client, alias: string): Promise<string | undefined> {
  try {
    const found = Object.keys(await client.indices.getAlias({ name: alias }));
    if (found.length !== 1)
      throw new Error(`alias ${alias} points to ${found.length} indices (${found.join(', ')}), not one`);
    return found[0];
  } catch (error) {
    if (error instanceof errors.ResponseError && error.statusCode === 404) return undefined;
    throw error;
  }
}

export const isNotFound = (error: unknown) =>
  error instanceof errors.ResponseError && error.statusCode === 404;
