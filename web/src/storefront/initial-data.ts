import type { CatalogPage, Product } from '../shared/types.ts';

/**
 * What the server rendered a page from, handed to the browser beside the HTML (a JSON data block) so
 * that it takes the page over without asking again: the same answers as `GET /products?…` and
 * `GET /products/:sku`.
 */
export type InitialData =
  | Readonly<{ page: 'home'; catalog: CatalogPage }>
  | Readonly<{ page: 'product'; product: Product }>
  | Readonly<{ page: 'not-found' }>
  | Readonly<{ page: 'app' }>;

export const INITIAL_DATA_ID = 'initial-data';
