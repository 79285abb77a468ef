import type { Money } from '../../domain/money.ts';
import type { ProductAttributes } from '../../domain/product/index.ts';

// What the catalog read model answers: products, searches and their facets.

/** The one currency the shop sells in: every price, cart total and price facet is in it. */
export const CATALOG_CURRENCY = 'USD';

export type ProductSummary = {
  sku: string;
  title: string;
  price: Money;
  brand: string;
  category: string;
  attributes: ProductAttributes;
  available: number;
};

export type ProductDocument = ProductSummary & { description: string; updatedAt: string };

/** `relevance` is the default with a search and means `newest` without one. */
export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'title'] as const;

export type CatalogFilters = {
  /** Words to find in the title, brand or description: every word, the last one as a prefix. */
  q?: string;
  category?: string;
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  /** Attribute name to the values it may have: one of each name's values, for every name. */
  attributes?: Readonly<Record<string, readonly string[]>>;
  /** Unset: `relevance` with a search, else `newest`. */
  sort?: (typeof SORTS)[number];
  page: number;
  pageSize: number;
};

export type FacetCount = { value: string; count: number };
export type PriceRange = { from: number; to: number | null; count: number };

export type CatalogPage = {
  items: ProductSummary[];
  total: number;
  facets: { category: FacetCount[]; brand: FacetCount[]; price: PriceRange[] };
};

/** Lower bounds of the price facet's ranges, in minor units; the last range has no upper bound. */
export const PRICE_STEPS = [1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000];
