import { usePlace } from '../shared/router.ts';
import type { InitialData } from './initial-data.ts';
import { Home } from './pages/home.tsx';
import { ProductPage } from './pages/product.tsx';
import { NotFound } from './pages/not-found.tsx';
import { Layout } from './layout.tsx';

/** The storefront: `/` is home and search; every other page lives under `/shop/`. */
export function App({ initial }: { initial: InitialData }) {
  const place = usePlace();
  const product = /^\/shop\/products\/([^/]+)$/.exec(place.path);
  let page;
  if (place.path === '/')
    page = <Home query={place.query} initial={initial.page === 'home' ? initial.catalog : undefined} />;
  else if (product)
    page = (
      <ProductPage
        sku={decodeURIComponent(product[1]!)}
        initial={initial.page === 'product' ? initial.product : undefined}
      />
    );
  else page = <NotFound />;
  return <Layout>{page}</Layout>;
}

/** Storefront paths the app handles itself (the others are the console, the API, the docs). */
export const handledHere = (path: string): boolean => path === '/' || path.startsWith('/shop/');
