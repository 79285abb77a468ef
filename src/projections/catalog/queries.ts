import type { SqlClient } from '../../db/sql-client.ts';
import type { ProductAttributes } from '../../domain/product/index.ts';
import {
  CATALOG_VERSION_SQL,
  type CatalogVersion,
  type FacetCache,
  type FacetCounts,
} from './facet-cache.ts';
import type { PageCache } from './product-cache.ts';
import { attributeValues, searchTerms, sortOf } from './search-query.ts';
import {
  PRICE_STEPS,
  type CatalogFilters,
  type CatalogPage,
  type PriceRange,
  type ProductDocument,
  type ProductSummary,
} from './types.ts';

export * from './types.ts';

const MAX_BRAND_FACETS = 50;

type Row = {
  sku: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  attributes: ProductAttributes;
  price_amount: string | number;
  currency: string;
  updated_at: Date | string;
  available: string | number;
  product_revision: string | number;
  stock_revision: string | number;
};

const summaryOf = (row: Row): ProductSummary => ({
  sku: row.sku,
  title: row.title,
  price: { amount: Number(row.price_amount), currency: row.currency },
  brand: row.brand,
  category: row.category,
  attributes: row.attributes,
  available: Number(row.available),
});

const FROM_CATALOG = `FROM products p LEFT JOIN product_availability a ON a.sku = p.sku`;

/** A product page as the cache keeps it: the document, and the JSON the API answers with. */
export type ProductPage = Readonly<{ document: ProductDocument; json: string }>;

/**
 * A listed product's page with what is available now: one indexed query, or none when cached. The
 * JSON is made once per cached page, so a busy product page costs no serialisation either. `pages` is
 * where pages are cached: this process or Redis (services profile, see src/cache/).
 */
export async function productPage(
  db: SqlClient,
  sku: string,
  pages: PageCache<ProductPage>,
): Promise<ProductPage | undefined> {
  const cached = await pages.get(sku);
  if (cached) return cached;
  const [row] = await db.query<Row>(
    `SELECT p.sku, p.title, p.description, p.brand, p.category, p.attributes, p.price_amount, p.currency,
            p.updated_at, COALESCE(a.available, 0) AS available,
            p.revision AS product_revision, COALESCE(a.revision, 0) AS stock_revision
       ${FROM_CATALOG} WHERE p.sku = $1 AND p.listed`,
    [sku],
  );
  if (!row) return undefined;
  const document = {
    ...summaryOf(row),
    description: row.description,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
  const page = { document, json: JSON.stringify(document) };
  await pages.offer(sku, page, { product: Number(row.product_revision), stock: Number(row.stock_revision) });
  return page;
}

export const productBySku = async (
  db: SqlClient,
  sku: string,
  pages: PageCache<ProductPage>,
): Promise<ProductDocument | undefined> => (await productPage(db, sku, pages))?.document;

/** What each order sorts by (every order ends with the SKU, so equal keys page the same way each time). */
const SORT_KEYS: Record<
  Exclude<CatalogFilters['sort'], 'relevance' | undefined>,
  [string, 'ASC' | 'DESC']
> = {
  newest: ['p.listed_at', 'DESC'],
  price_asc: ['p.price_amount', 'ASC'],
  price_desc: ['p.price_amount', 'DESC'],
  title: ['p.title', 'ASC'],
};

/**
 * The full-text query: every word, the last one as a prefix (`'cordless' & 'dri':*`). The words are
 * runs of letters and digits only (see searchTerms), so they need no quoting beyond the quotes here.
 */
const tsQueryOf = (terms: readonly string[]) =>
  terms.map((term, i) => (i === terms.length - 1 ? `'${term}':*` : `'${term}'`)).join(' & ');

/** The WHERE clause for the filters, with its parameters, and the text query's parameter if any. */
function whereOf(filters: CatalogFilters): { where: string; params: unknown[]; query?: string } {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const conditions = ['p.listed'];
  const terms = searchTerms(filters.q);
  const query = terms.length > 0 ? `to_tsquery('simple', ${param(tsQueryOf(terms))})` : undefined;
  if (query) conditions.push(`p.search_vector @@ ${query}`);
  if (filters.category !== undefined) conditions.push(`p.category = ${param(filters.category)}`);
  if (filters.brand !== undefined) conditions.push(`p.brand = ${param(filters.brand)}`);
  if (filters.minPrice !== undefined) conditions.push(`p.price_amount >= ${param(filters.minPrice)}`);
  if (filters.maxPrice !== undefined) conditions.push(`p.price_amount <= ${param(filters.maxPrice)}`);
  if (filters.inStock) conditions.push('p.in_stock');
  for (const [name, values] of Object.entries(filters.attributes ?? {})) {
    // Containment answers from the GIN index; any one of the values given for a name will do.
    const alternatives = values
      .flatMap(attributeValues)
      .map((value) => `p.attributes @> ${param(JSON.stringify({ [name]: value }))}::jsonb`);
    if (alternatives.length > 0) conditions.push(`(${alternatives.join(' OR ')})`);
  }
  return { where: conditions.join(' AND '), params, ...(query ? { query } : {}) };
}

/** The price facet's range of a price: width_bucket over PRICE_STEPS (see priceRange). */
export const priceBucketOf = (price: string) =>
  `width_bucket(${price}, ARRAY[${PRICE_STEPS.join(',')}]::bigint[])`;

/** The facet rows a count query answers: GROUPING() is 1 for the category set, 2 brand, 3 price. */
const FACET_COLUMNS = (category: string, brand: string, bucket: string) =>
  `CASE GROUPING(${category}, ${brand}) WHEN 1 THEN 'category' WHEN 2 THEN 'brand' ELSE 'price' END AS facet,
   CASE GROUPING(${category}, ${brand}) WHEN 1 THEN ${category} WHEN 2 THEN ${brand} ELSE ${bucket}::text END AS value`;

type FacetRow = { facet: string; value: string; count: number };

/**
 * One page of the listed products matching the filters, with facet counts over every match, in one
 * statement. A browse (no words, price range or attributes) counts from the facet counts the
 * projection keeps instead of every product it shows.
 */
export async function searchCatalog(
  db: SqlClient,
  filters: CatalogFilters,
  cache: FacetCache,
): Promise<CatalogPage> {
  const { where, params, query } = whereOf(filters);
  const sort = sortOf(filters);
  // ts_rank weighs title (A) over brand (B) over description (C) matches, as set in the migration.
  const [key, direction] =
    sort === 'relevance'
      ? query
        ? [`ts_rank(p.search_vector, ${query})`, 'DESC']
        : SORT_KEYS.newest
      : SORT_KEYS[sort];
  const orderBy = `p.key ${direction}, p.sku`;
  // Facet counts are reused while the catalog stays at the version they were counted at (see FacetCache).
  const search = `${where}\u0000${JSON.stringify(params)}`;
  const [current] = await db.query<CatalogVersion>(CATALOG_VERSION_SQL);
  const version = (filters.inStock ? current?.catalog : current?.products) ?? '';
  const cached = cache.get(search, version);
  const browse = query === undefined && filters.minPrice === undefined && filters.maxPrice === undefined;
  const summarised = browse && Object.values(filters.attributes ?? {}).every((v) => v.length === 0);
  // Ranking by words reads every match (found through a GIN index, then the rows): those matches are
  // counted too. Any other order finds its page along an index; its matches are found again faster
  // than a materialised copy of them is read.
  const reuseMatches = !cached && !summarised && sort === 'relevance' && query !== undefined;
  const matches = `matches AS ${reuseMatches ? 'MATERIALIZED ' : ''}(
      SELECT p.sku, p.category, p.brand, p.price_amount, ${key} AS key FROM products p WHERE ${where})`;
  const page = `SELECT p.sku, p.key FROM matches p
      ORDER BY ${orderBy} LIMIT ${filters.pageSize} OFFSET ${(filters.page - 1) * filters.pageSize}`;
  const bucket = priceBucketOf('p.price_amount');
  const facets = cached
    ? undefined
    : summarised
      ? summaryFacets(filters, params)
      : `SELECT ${FACET_COLUMNS('p.category', 'p.brand', bucket)}, count(*)::int AS count
           ${reuseMatches ? 'FROM matches p' : `FROM products p WHERE ${where}`}
          GROUP BY GROUPING SETS ((p.category), (p.brand), (${bucket}))`;
  const statement = `WITH ${matches}, page AS (${page})
    SELECT (SELECT COALESCE(json_agg(i ORDER BY i.n), '[]') FROM (
              SELECT row_number() OVER (ORDER BY ${orderBy}) AS n, p.sku, d.title, d.brand, d.category,
                     d.attributes, d.price_amount, d.currency, COALESCE(a.available, 0) AS available
                FROM page p JOIN products d ON d.sku = p.sku
                LEFT JOIN product_availability a ON a.sku = p.sku) i) AS items,
           ${facets ? `(SELECT COALESCE(json_agg(f), '[]') FROM (${facets}) f)` : 'NULL'} AS facets`;
  // The planner underprices tsvector matches and would scan every row: searches with words use the
  // GIN index (docs/decisions/0011).
  const [answer] = query
    ? await db.transaction(async (tx) => {
        await tx.exec('SET LOCAL enable_seqscan = off');
        return tx.query<{ items: Row[]; facets: FacetRow[] | null }>(statement, params);
      })
    : await db.query<{ items: Row[]; facets: FacetRow[] | null }>(statement, params);
  const counts = cached ?? facetCountsOf(answer!.facets!);
  if (!cached) cache.set(search, version, counts);
  return { items: answer!.items.map(summaryOf), ...counts };
}

/**
 * The facet rows of a browse from the counts the catalog projection keeps (catalog_facet_counts): a
 * few thousand rows, not every product shown. Its parameters go on after the search's own.
 */
function summaryFacets(filters: CatalogFilters, params: unknown[]): string {
  const conditions = ['true'];
  if (filters.category !== undefined) conditions.push(`category = $${params.push(filters.category)}`);
  if (filters.brand !== undefined) conditions.push(`brand = $${params.push(filters.brand)}`);
  if (filters.inStock) conditions.push('in_stock');
  return `SELECT ${FACET_COLUMNS('category', 'brand', 'price_bucket')}, sum(products)::int AS count
            FROM catalog_facet_counts WHERE ${conditions.join(' AND ')}
           GROUP BY GROUPING SETS ((category), (brand), (price_bucket)) HAVING sum(products) > 0`;
}

/** Total and facets from facet rows: biggest counts first, the price ranges in order. */
function facetCountsOf(facetRows: readonly FacetRow[]): FacetCounts {
  const facet = (name: string) =>
    facetRows
      .filter((row) => row.facet === name)
      .map(({ value, count }) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const category = facet('category');
  return {
    total: category.reduce((sum, c) => sum + c.count, 0),
    facets: {
      category,
      brand: facet('brand').slice(0, MAX_BRAND_FACETS),
      price: facet('price')
        .map(({ value, count }) => priceRange(Number(value), count))
        .sort((a, b) => a.from - b.from),
    },
  };
}

/** width_bucket's answer i: at least PRICE_STEPS[i - 1] (0 for the first), below PRICE_STEPS[i]. */
const priceRange = (bucket: number, count: number): PriceRange => ({
  from: bucket === 0 ? 0 : PRICE_STEPS[bucket - 1]!,
  to: PRICE_STEPS[bucket] ?? null,
  count,
});
