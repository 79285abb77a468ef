import type { estypes } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { PRICE_STEPS, type CatalogFilters, type FacetCount } from '../../projections/catalog/queries.ts';
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

/** The bool query for the filters: words must match (scored), filters only narrow (not scored). */
export function queryOf(filters: CatalogFilters): estypes.QueryDslQueryContainer {
  const filter: estypes.QueryDslQueryContainer[] = [{ term: { listed: true } }];
  if (filters.category !== undefined) filter.push({ term: { category: filters.category } });
  if (filters.brand !== undefined) filter.push({ term: { brand: filters.brand } });
  if (filters.minPrice !== undefined || filters.maxPrice !== undefined)
    filter.push({ range: { price: { gte: filters.minPrice, lte: filters.maxPrice } } });
  if (filters.inStock) filter.push({ range: { available: { gt: 0 } } });
  for (const [name, values] of Object.entries(filters.attributes ?? {}))
    if (values.length > 0) filter.push({ terms: { [`attributes.${name}`]: [...values] } });
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

type Aggregations = {
  category: estypes.AggregationsStringTermsAggregate;
  brand: estypes.AggregationsStringTermsAggregate;
  price: estypes.AggregationsRangeAggregate;
};

const facetOf = (terms: estypes.AggregationsStringTermsAggregate): FacetCount[] =>
  (terms.buckets as estypes.AggregationsStringTermsBucket[]).map((b) => ({
    value: String(b.key),
    count: b.doc_count,
  }));

/** Search in Elasticsearch, through the alias the catalog search projection keeps up to date. */
export function elasticsearchCatalogSearch(client: Client, alias: string): CatalogSearch {
  return {
    engine: 'elasticsearch',
    async searchCatalog(filters) {
      const byCount = [{ _count: 'desc' as const }, { _key: 'asc' as const }];
      const response = await client.search<CatalogDocument, Aggregations>({
        index: alias,
        query: queryOf(filters),
        sort: SORT[sortOf(filters)],
        from: (filters.page - 1) * filters.pageSize,
        size: filters.pageSize,
        track_total_hits: true,
        _source: ['sku', 'title', 'price', 'currency', 'brand', 'category', 'attributes', 'available'],
        aggs: {
          category: { terms: { field: 'category', size: MAX_CATEGORY_FACETS, order: byCount } },
          brand: { terms: { field: 'brand', size: MAX_BRAND_FACETS, order: byCount } },
          price: { range: { field: 'price', ranges: PRICE_RANGES } },
        },
      });
      const aggregations = response.aggregations!;
      const total = response.hits.total;
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
        total: typeof total === 'number' ? total : (total?.value ?? 0),
        facets: {
          category: facetOf(aggregations.category),
          brand: facetOf(aggregations.brand),
          price: (aggregations.price.buckets as estypes.AggregationsRangeBucket[])
            .filter((b) => b.doc_count > 0)
            .map((b) => ({ from: b.from ?? 0, to: b.to ?? null, count: b.doc_count })),
        },
      };
    },
    async ping() {
      const health = await client.cluster.health({ index: alias, timeout: '2s' });
      if (health.status === 'red') throw new Error(`search index ${alias} is red`);
    },
    close: () => client.close(),
  };
}
