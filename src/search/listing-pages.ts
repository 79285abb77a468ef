import { EVERY_ANSWER, KeptAnswers, type KeptAnswer } from '../cache/listing-answers.ts';
import { searchTerms, sortOf } from '../projections/catalog/search-query.ts';
import type { CatalogFilters, CatalogPage } from '../projections/catalog/types.ts';
import type { CatalogDocument } from './catalog-document.ts';

/**
 * Listing pages as `GET /products` answers them: the JSON, made once per kept answer. A page kept in
 * this process comes back at once (a string), anything else as a promise.
 */
export type ListingPages = Readonly<{
  answer(filters: CatalogFilters): string | Promise<string>;
}>;

/** Where answers are kept: this process, or Redis shared by every API process (src/cache/). */
export interface ListingAnswerStore {
  /** The answer's JSON if this process holds it, without waiting. */
  peek(key: string): string | undefined;
  /** The kept answer, else `search`'s, kept unless a change it depends on was invalidated meanwhile. */
  getOrSearch(key: string, search: () => Promise<KeptAnswer>): Promise<string>;
}

/** Tells kept answers that the catalog changed: the tags of `changeTags`. */
export type ListingInvalidation = Readonly<{ invalidate(tags: readonly string[]): Promise<void> }>;

/** The body of a listing page: the fields in the order the API has always sent them. */
export const listingJson = (filters: CatalogFilters, page: CatalogPage): string =>
  JSON.stringify({
    items: page.items,
    total: page.total,
    facets: page.facets,
    page: filters.page,
    pageSize: filters.pageSize,
  });

/**
 * One key for every way of asking the same question: the words as the engines read them, the sort
 * the engines apply, attribute values in order without repeats.
 */
export function listingKey(filters: CatalogFilters): string {
  const attributes = Object.entries(filters.attributes ?? {})
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => [name, [...new Set(values)].sort()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    searchTerms(filters.q).join(' '),
    filters.category ?? null,
    filters.brand ?? null,
    filters.minPrice ?? null,
    filters.maxPrice ?? null,
    filters.inStock === true,
    attributes,
    sortOf(filters),
    filters.page,
    filters.pageSize,
  ]);
}

/**
 * The narrowest set of products an answer is drawn from: a brand, else a category, else the catalog.
 * (A filter on both is covered by either: a product entering or leaving it changes both.)
 */
const scopesOf = (doc: Pick<CatalogDocument, 'category' | 'brand'>) => [
  'all',
  `category:${doc.category}`,
  `brand:${doc.brand}`,
];
const scopeOf = (filters: CatalogFilters) =>
  filters.brand !== undefined
    ? `brand:${filters.brand}`
    : filters.category !== undefined
      ? `category:${filters.category}`
      : 'all';

/**
 * What an answer depends on: the products of its scope (which match, their order, the counts), whether
 * they are in stock if it asks for that, and what each product on the page shows (its availability).
 */
export function answerTags(filters: CatalogFilters, page: CatalogPage): string[] {
  const scope = scopeOf(filters);
  return [
    `products:${scope}`,
    ...(filters.inStock ? [`stock:${scope}`] : []),
    ...page.items.map((item) => `sku:${item.sku}`),
  ];
}

export type DocumentScope = Pick<
  CatalogDocument,
  'sku' | 'listed' | 'category' | 'brand' | 'available' | 'productRevision' | 'stockRevision'
>;

/**
 * The tags a SKU's change invalidates, from the document before and after it. A product event of a
 * listed product changes its scopes before and after (it may have moved category, brand or price, or
 * matched other words); a stock change only what its page shows, unless it sold out or came back,
 * which changes the in-stock answers of its scopes. Nothing of a product never listed shows.
 */
export function changeTags(before: DocumentScope | undefined, after: DocumentScope): string[] {
  const shown = [before, after].filter((doc): doc is DocumentScope => doc?.listed === true);
  if (shown.length === 0) return [];
  const tags = new Set<string>();
  if ((before?.productRevision ?? 0) !== after.productRevision) {
    tags.add(`sku:${after.sku}`);
    for (const doc of shown) for (const scope of scopesOf(doc)) tags.add(`products:${scope}`);
  }
  const was = before?.available ?? 0;
  if (was !== after.available) tags.add(`sku:${after.sku}`);
  if (was > 0 !== after.available > 0)
    for (const doc of shown) for (const scope of scopesOf(doc)) tags.add(`stock:${scope}`);
  return [...tags];
}

/**
 * The tags of a SKU whose events were found already applied (a batch delivered again): what changed
 * before them is no longer known, so product events drop every answer; stock alone may only have
 * sold the SKU out or brought it back.
 */
export const redeliveredTags = (doc: DocumentScope, productEvents: boolean): string[] =>
  productEvents
    ? [EVERY_ANSWER]
    : doc.listed
      ? [`sku:${doc.sku}`, ...scopesOf(doc).map((scope) => `stock:${scope}`)]
      : [];

type Engine = Readonly<{ searchCatalog(filters: CatalogFilters): Promise<CatalogPage> }>;

/** Listing pages searched every time (where no invalidation could reach a kept answer). */
export const searchedListingPages = (engine: Engine): ListingPages => ({
  answer: async (filters) => listingJson(filters, await engine.searchCatalog(filters)),
});

/** Listing pages kept in `store`, searched in `engine` when not kept. */
export function keptListingPages(engine: Engine, store: ListingAnswerStore): ListingPages {
  return {
    answer(filters) {
      const key = listingKey(filters);
      return (
        store.peek(key) ??
        store.getOrSearch(key, async () => {
          const page = await engine.searchCatalog(filters);
          return { json: listingJson(filters, page), tags: answerTags(filters, page) };
        })
      );
    },
  };
}

/**
 * Answers kept in this process, told of changes by a projection in this process. Readers of one key
 * that arrive while its search is under way, with no invalidation since it started, share it.
 */
export class InProcessListingAnswers implements ListingAnswerStore, ListingInvalidation {
  private readonly searching = new Map<string, { sequence: number; json: Promise<string> }>();

  constructor(readonly kept = new KeptAnswers()) {}

  peek(key: string): string | undefined {
    return this.kept.get(key)?.json;
  }

  getOrSearch(key: string, search: () => Promise<KeptAnswer>): Promise<string> {
    const sequence = this.kept.sequence();
    const underway = this.searching.get(key);
    if (underway?.sequence === sequence) return underway.json;
    const json = search().then((answer) => {
      this.kept.offer(key, answer, sequence);
      return answer.json;
    });
    const entry = { sequence, json };
    this.searching.set(key, entry);
    const done = () => {
      if (this.searching.get(key) === entry) this.searching.delete(key);
    };
    json.then(done, done);
    return json;
  }

  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length > 0) this.kept.invalidate(tags);
  }
}
