import type { estypes } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import {
  PRICE_STEPS,
  type CatalogFilters,
  type CatalogPage,
  type FacetCount,
} from '../../projections/catalog/queries.ts';
import type { CatalogSearch } from '../catalog-search.ts';
import { searchTerms, sortOf } from '../../projections/catalog/search-query.ts';
import type { CatalogDocument } from './catalog-index.ts';

const MAX_CATEGORY_FACETS = 1_000;
const MAX_BRAND_FACETS = 50;

/** Every order ends with the SKU, so equal keys still page the same way each time (as in SQL). */
const SORT: Record<Exclude<CatalogFilters['sort'], undefined>, estypes.SortCombinations[]> = {
  relevance: [{ _score: { order: 'desc' } }, { sku: 'asc' }],
  newest: [{ listedAt: 'desc' }, { sku: 'asc' }],
  price_asc: [{ price: 'asc' }, { sku: 'asc' }],
  price_desc: [{ price: 'desc' }, { sku: 'asc' }],
  title: [{ 'title.sort': 'asc' }, { sku: 'asc' }],
};

/** The price facet's ranges: below the first step, between steps, and from the last one up. */
const PRICE_RANGES = [0, ...PRICE_STEPS].map((from, i) => ({
  ...(i === 0 ? {} : { from }),
  ...(PRICE_STEPS[i] === undefined ? {} : { to: PRICE_STEPS[i] }),
}));

const LISTED: estypes.QueryDslQueryContainer = { term: { listed: true } };

/** The filters that narrow the listed products: none for the whole catalog. */
function narrowing(filters: CatalogFilters): estypes.QueryDslQueryContainer[] {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (filters.category !== undefined) filter.push({ term: { category: filters.category } });
  if (filters.brand !== undefined) filter.push({ term: { brand: filters.brand } });
  if (filters.minPrice !== undefined || filters.maxPrice !== undefined)
    filter.push({ range: { price: { gte: filters.minPrice, lte: filters.maxPrice } } });
  if (filters.inStock) filter.push({ range: { available: { gt: 0 } } });
  for (const [name, values] of Object.entries(filters.attributes ?? {}))
    if (values.length > 0) filter.push({ terms: { [`attributes.${name}`]: [...values] } });
  return filter;
}

/** The bool query for the filters: words must match (scored), filters only narrow (not scored). */
export function queryOf(filters: CatalogFilters): estypes.QueryDslQueryContainer {
  const filter = [LISTED, ...narrowing(filters)];
  const terms = searchTerms(filters.q);
  if (terms.length === 0) return { bool: { filter } };
  const words = terms.join(' ');
  // Every word somewhere in title, brand or description, the last one as a prefix: a filter, so that
  // only the clause below scores, weighing title over brand over description like PostgreSQL's ts_rank.
  filter.push({ match_bool_prefix: { searchText: { query: words, operator: 'and' } } });
  return {
    bool: {
      filter,
      should: [
        {
          multi_match: {
            query: words,
            type: 'bool_prefix',
            fields: ['title^3', 'brand.text^2', 'description'],
          },
        },
      ],
    },
  };
}

/** No words and no filters: every listed product matches (browsing the whole catalog). */
const wholeCatalog = (filters: CatalogFilters) =>
  searchTerms(filters.q).length === 0 && narrowing(filters).length === 0;

type Aggregations = {
  category: estypes.AggregationsStringTermsAggregate;
  brand: estypes.AggregationsStringTermsAggregate;
  price: estypes.AggregationsRangeAggregate;
};

const BY_COUNT = [{ _count: 'desc' as const }, { _key: 'asc' as const }];

/** The facets of a search: counted over every match, not just the page. */
const FACETS = {
  category: { terms: { field: 'category', size: MAX_CATEGORY_FACETS, order: BY_COUNT } },
  brand: { terms: { field: 'brand', size: MAX_BRAND_FACETS, order: BY_COUNT } },
  price: { range: { field: 'price', ranges: PRICE_RANGES } },
} satisfies Record<keyof Aggregations, estypes.AggregationsAggregationContainer>;

/**
 * The same facets with every value (up to this many), for the whole catalog's facets by subtraction
 * (see `searchWholeCatalog`); a facet with more values than this is counted as in any other search.
 */
const MAX_VALUES_SUBTRACTED = 1_000;
const EVERY_VALUE = {
  category: { terms: { field: 'category', size: MAX_VALUES_SUBTRACTED, order: BY_COUNT } },
  brand: { terms: { field: 'brand', size: MAX_VALUES_SUBTRACTED, order: BY_COUNT } },
  price: FACETS.price,
} satisfies Record<keyof Aggregations, estypes.AggregationsAggregationContainer>;

const SOURCE = ['sku', 'title', 'price', 'currency', 'brand', 'category', 'attributes', 'available'];

/** One page of the matches, in the order asked for, with their exact number. */
const pageRequest = (filters: CatalogFilters) =>
  ({
    query: queryOf(filters),
    sort: SORT[sortOf(filters)],
    from: (filters.page - 1) * filters.pageSize,
    size: filters.pageSize,
    track_total_hits: true,
    _source: SOURCE,
  }) satisfies estypes.SearchRequest;

const termBuckets = (terms: estypes.AggregationsStringTermsAggregate) =>
  terms.buckets as estypes.AggregationsStringTermsBucket[];

const facetOf = (terms: estypes.AggregationsStringTermsAggregate): FacetCount[] =>
  termBuckets(terms).map((b) => ({ value: String(b.key), count: b.doc_count }));

type PriceBucket = { from?: number | null; to?: number | null; doc_count: number };
const priceFacetOf = (buckets: PriceBucket[]) =>
  buckets
    .filter((b) => b.doc_count > 0)
    .map((b) => ({ from: b.from ?? 0, to: b.to ?? null, count: b.doc_count }));

const totalOf = (response: estypes.SearchResponse<unknown, unknown>) => {
  const total = response.hits.total;
  return typeof total === 'number' ? total : (total?.value ?? 0);
};

function pageOf(
  response: estypes.SearchResponse<CatalogDocument, unknown>,
  facets: CatalogPage['facets'],
): CatalogPage {
  return {
    items: response.hits.hits.map(({ _source: doc }) => ({
      sku: doc!.sku,
      title: doc!.title!,
      price: { amount: doc!.price!, currency: doc!.currency! },
      brand: doc!.brand!,
      category: doc!.category!,
      attributes: doc!.attributes ?? {},
      available: doc!.available,
    })),
    total: totalOf(response),
    facets,
  };
}

/** Keywords in Elasticsearch's order of terms: by their UTF-8 bytes. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A terms facet's counts minus another's (whose values are among the first's), in the order of
 * FACETS (most first, then by value), the first `size`. Undefined unless both list every value.
 */
function subtractTerms(
  all: estypes.AggregationsStringTermsAggregate,
  some: estypes.AggregationsStringTermsAggregate,
  size: number,
): FacetCount[] | undefined {
  if (all.sum_other_doc_count !== 0 || some.sum_other_doc_count !== 0) return undefined;
  const counts = new Map(termBuckets(all).map((b) => [String(b.key), b.doc_count]));
  for (const b of termBuckets(some)) {
    const count = counts.get(String(b.key));
    if (count === undefined || count < b.doc_count) return undefined;
    counts.set(String(b.key), count - b.doc_count);
  }
  return [...counts]
    .filter(([, count]) => count > 0)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || byBytes(a.value, b.value))
    .slice(0, size);
}

type Searched = estypes.SearchResponse<CatalogDocument, Aggregations>;

const unlisted: estypes.QueryDslQueryContainer = { bool: { must_not: [LISTED] } };

/**
 * Every listed product (no words, no filters): the costliest search to count facets over in place,
 * each of some 100,000 documents read for each facet. Without a query, Elasticsearch counts a facet
 * from its index alone (the number of documents of each value, each price range's from the points)
 * in a segment without deleted documents, and from each value's list of documents in one with them,
 * never reading the documents' values; and few products are not listed. So the facets are counted
 * over every document and over the unlisted ones, and the second subtracted from the first, beside
 * the page's search, in one request. Never cached (`request_cache: false`): each is counted anew.
 * (bench/search.ts's 100,000 products, merged into one segment: 6-7 ms of Elasticsearch's time for
 * such a search before, under 1 ms now. With 2% of them updated since, so deleted documents in the
 * segment, the gain is smaller and noisier: 8.5-10 ms a search before, 6-10.5 ms now, at the client.)
 * Undefined when the counts do not add up (a refresh between the three searches that changed how
 * many products are listed, a facet with more values than MAX_VALUES_SUBTRACTED): then the search is
 * made as any other. A refresh between them that only moved products between facet values (within
 * a millisecond or so) goes unseen: those facet counts are then off by the products moved, once.
 */
async function searchWholeCatalog(
  client: Client,
  alias: string,
  filters: CatalogFilters,
): Promise<CatalogPage | undefined> {
  const facetsOver = (query: estypes.QueryDslQueryContainer) => ({
    query,
    size: 0,
    track_total_hits: true,
    aggs: EVERY_VALUE,
  });
  const { responses } = await client.msearch<CatalogDocument>({
    index: alias,
    searches: [
      {},
      pageRequest(filters),
      { request_cache: false },
      facetsOver({ match_all: {} }),
      { request_cache: false },
      facetsOver(unlisted),
    ],
  });
  const [page, every, notListed] = responses.map((response) => {
    if ('error' in response)
      throw new Error(`Elasticsearch search failed: ${response.error.type}: ${response.error.reason}`);
    return response as Searched;
  }) as [Searched, Searched, Searched];
  if (totalOf(every) - totalOf(notListed) !== totalOf(page)) return undefined;
  const all = every.aggregations!;
  const less = notListed.aggregations!;
  const category = subtractTerms(all.category, less.category, MAX_CATEGORY_FACETS);
  const brand = subtractTerms(all.brand, less.brand, MAX_BRAND_FACETS);
  if (category === undefined || brand === undefined) return undefined;
  const lessPrice = less.price.buckets as estypes.AggregationsRangeBucket[];
  const price = (all.price.buckets as estypes.AggregationsRangeBucket[]).map((b, i) => ({
    ...b,
    doc_count: b.doc_count - lessPrice[i]!.doc_count,
  }));
  if (price.some((b) => b.doc_count < 0)) return undefined;
  return pageOf(page, { category, brand, price: priceFacetOf(price) });
}

/** Search in Elasticsearch, through the alias the catalog search projection keeps up to date. */
export function elasticsearchCatalogSearch(client: Client, alias: string): CatalogSearch {
  return {
    engine: 'elasticsearch',
    async searchCatalog(filters) {
      if (wholeCatalog(filters)) {
        const page = await searchWholeCatalog(client, alias, filters);
        if (page) return page;
      }
      const response = await client.search<CatalogDocument, Aggregations>({
        index: alias,
        ...pageRequest(filters),
        aggs: FACETS,
      });
      const aggregations = response.aggregations!;
      return pageOf(response, {
        category: facetOf(aggregations.category),
        brand: facetOf(aggregations.brand),
        price: priceFacetOf(aggregations.price.buckets as estypes.AggregationsRangeBucket[]),
      });
    },
    async ping() {
      const health = await client.cluster.health({ index: alias, timeout: '2s' });
      if (health.status === 'red') throw new Error(`search index ${alias} is red`);
    },
    close: () => client.close(),
  };
}
