import { renderToString } from 'preact-render-to-string';
import { AtPlace } from '../shared/router.ts';
import { App } from './app.tsx';
import { INITIAL_DATA_ID, type InitialData } from './initial-data.ts';
import type { Product } from '../shared/types.ts';
import { homeHeading } from './pages/home.tsx';

export type Rendered = Readonly<{ html: string; head: string; data: string }>;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON inside a script element: `<` escaped so that no text in it can close the element. */
const jsonInScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** schema.org Product data, for crawlers (https://developers.google.com/search/docs/appearance/structured-data/product). */
function productStructuredData(product: Product, origin: string): string {
  return jsonInScript({
    '@context': 'https://schema.org',
    '@type': 'Product',
    sku: product.sku,
    name: product.title,
    description: product.description,
    brand: { '@type': 'Brand', name: product.brand },
    category: product.category,
    offers: {
      '@type': 'Offer',
      url: `${origin}/shop/products/${encodeURIComponent(product.sku)}`,
      price: (product.price.amount / 100).toFixed(2),
      priceCurrency: product.price.currency,
      availability: product.available > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock',
    },
  });
}

function head(data: InitialData, origin: string, url: string): string {
  const canonical = `<link rel="canonical" href="${escapeHtml(origin + url)}" />`;
  switch (data.page) {
    case 'product':
      return [
        `<title>${escapeHtml(data.product.title)} · eventful shop</title>`,
        `<meta name="description" content="${escapeHtml(data.product.description.slice(0, 160))}" />`,
        canonical,
        `<script type="application/ld+json">${productStructuredData(data.product, origin)}</script>`,
      ].join('\n');
    case 'not-found':
      return '<title>Not found · eventful shop</title>\n<meta name="robots" content="noindex" />';
    case 'home':
      return [
        `<title>${escapeHtml(homeHeading(new URL(url, origin).searchParams))} · eventful shop</title>`,
        '<meta name="description" content="Browse and buy: every order is an event stream, and nothing is sold that is not there." />',
        canonical,
      ].join('\n');
    default:
      return [
        '<title>eventful shop</title>',
        '<meta name="description" content="Browse and buy: every order is an event stream, and nothing is sold that is not there." />',
        canonical,
      ].join('\n');
  }
}

/**
 * The storefront page at `url` as HTML, with its head (title, description, canonical address,
 * structured data) and the data it was drawn from, for the browser to take over.
 */
export function renderPage(url: string, data: InitialData, origin: string): Rendered {
  const html =
    data.page === 'app'
      ? ''
      : renderToString(
          <AtPlace url={url}>
            <App initial={data} />
          </AtPlace>,
        );
  return {
    html,
    head: head(data, origin, url),
    data: `<script type="application/json" id="${INITIAL_DATA_ID}">${jsonInScript(data)}</script>`,
  };
}
