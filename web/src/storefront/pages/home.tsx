import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import type { CatalogPage } from '../../shared/types.ts';

export function Home({ query, initial }: { query: URLSearchParams; initial?: CatalogPage }) {
  const search = query.toString();
  const [catalog, setCatalog] = useState<CatalogPage | undefined>(initial);
  useEffect(() => {
    if (initial && catalog === initial && search === initialSearch(initial, search)) return;
    const controller = new AbortController();
    request<CatalogPage>(`/products?${search}`, { signal: controller.signal, auth: false }).then(
      setCatalog,
      () => undefined,
    );
    return () => controller.abort();
  }, [search]);
  if (!catalog) return <p>Loading…</p>;
  return (
    <section>
      <h1>{query.get('q') ? `Results for “${query.get('q')}”` : 'All products'}</h1>
      <ul class="product-grid">
        {catalog.items.map((item) => (
          <li key={item.sku}>
            <a href={`/shop/products/${encodeURIComponent(item.sku)}`}>{item.title}</a>
            <span>{formatMoney(item.price)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const initialSearch = (_initial: CatalogPage, search: string) => search;
