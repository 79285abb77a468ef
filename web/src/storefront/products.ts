import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../shared/api.ts';
import type { Product, ProductSummary } from '../shared/types.ts';

/**
 * Products this page has seen (from a search, a product page, a lookup): the cart, checkout and order
 * pages name their lines by title without asking twice. A product no longer listed is `null`.
 */
const known = new Map<string, ProductSummary | Product | null>();
const asking = new Map<string, Promise<void>>();
const listeners = new Set<() => void>();

const changed = () => {
  for (const listener of [...listeners]) listener();
};

export function rememberProducts(products: readonly (ProductSummary | Product)[]): void {
  for (const product of products) {
    const before = known.get(product.sku);
    // A summary never replaces the full document (which has the description).
    if (before && 'description' in before && !('description' in product)) continue;
    known.set(product.sku, product);
  }
  if (products.length > 0) changed();
}

export const knownProduct = (sku: string): ProductSummary | Product | null | undefined => known.get(sku);

/** `GET /products/:sku`: the product, or undefined when it is not (or no longer) in the catalog. */
export async function fetchProduct(sku: string, signal?: AbortSignal): Promise<Product | undefined> {
  try {
    const product = await request<Product>(`/products/${encodeURIComponent(sku)}`, { auth: false, signal });
    rememberProducts([product]);
    return product;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      known.set(sku, null);
      changed();
      return undefined;
    }
    throw error;
  }
}

function lookUp(sku: string): void {
  if (known.has(sku) || asking.has(sku)) return;
  const done = fetchProduct(sku).then(
    () => undefined,
    () => undefined, // unreachable for now: the line shows its SKU, and the next page asks again
  );
  asking.set(
    sku,
    done.finally(() => asking.delete(sku)),
  );
}

/**
 * The products of these SKUs as far as known, looking up the others (re-rendering as they arrive):
 * `undefined` while unknown, `null` when not in the catalog.
 */
export function useProducts(
  skus: readonly string[],
): (sku: string) => ProductSummary | Product | null | undefined {
  const [, setVersion] = useState(0);
  const key = skus.join('\n');
  useEffect(() => {
    const listener = () => setVersion((n) => n + 1);
    listeners.add(listener);
    for (const sku of skus) lookUp(sku);
    return () => void listeners.delete(listener);
  }, [key]);
  return knownProduct;
}

/** A line's name: the product's title when known, its SKU meanwhile. */
export const titleOf = (sku: string): string => known.get(sku)?.title ?? sku;
