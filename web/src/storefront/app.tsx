import { useEffect, useRef } from 'preact/hooks';
import { usePlace } from '../shared/router.ts';
import type { InitialData } from './initial-data.ts';
import { Layout } from './layout.tsx';
import { AccountPage } from './pages/account.tsx';
import { CartPage } from './pages/cart.tsx';
import { CheckoutPage } from './pages/checkout.tsx';
import { Home } from './pages/home.tsx';
import { NotFound } from './pages/not-found.tsx';
import { OrderPage } from './pages/order.tsx';
import { OrdersPage } from './pages/orders.tsx';
import { ProductPage } from './pages/product.tsx';

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The storefront: `/` is home and search; every other page lives under `/shop/`. */
export function App({ initial }: { initial: InitialData }) {
  const place = usePlace();
  const url = `${place.path}?${place.query.toString()}`;
  // What the server sent describes the address the page was loaded at, and no other.
  const firstUrl = useRef(url);
  const data: InitialData = url === firstUrl.current ? initial : { page: 'app' };

  // A new page (not a filter changed in place): focus goes to its content, as a page load would put it.
  const firstPath = useRef(place.path);
  useEffect(() => {
    if (place.path === firstPath.current) return;
    firstPath.current = place.path;
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [place.path]);

  const product = /^\/shop\/products\/([^/]+)$/.exec(place.path);
  const order = /^\/shop\/orders\/([^/]+)$/.exec(place.path);
  let page;
  if (data.page === 'not-found') page = <NotFound what={product ? 'product' : 'page'} />;
  else if (place.path === '/')
    page = <Home query={place.query} initial={data.page === 'home' ? data.catalog : undefined} />;
  else if (product)
    page = (
      <ProductPage sku={decode(product[1]!)} initial={data.page === 'product' ? data.product : undefined} />
    );
  else if (place.path === '/shop/cart') page = <CartPage />;
  else if (place.path === '/shop/checkout') page = <CheckoutPage />;
  else if (place.path === '/shop/sign-in') page = <AccountPage key="sign-in" mode="sign-in" place={place} />;
  else if (place.path === '/shop/register')
    page = <AccountPage key="register" mode="register" place={place} />;
  else if (place.path === '/shop/orders') page = <OrdersPage place={place} />;
  else if (order) page = <OrderPage orderId={decode(order[1]!)} />;
  else page = <NotFound />;
  return <Layout place={place}>{page}</Layout>;
}

/** Storefront paths the app handles itself (the others are the console, the API, the docs). */
export const handledHere = (path: string): boolean => path === '/' || path.startsWith('/shop/');
