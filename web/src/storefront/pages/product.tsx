import { useEffect, useState } from 'preact/hooks';
import type { Product, ProductSummary } from '../../shared/types.ts';
import { addToCart, MAX_PER_LINE } from '../cart.ts';
import { useTitle } from '../hooks.ts';
import { Availability, Price, ProductArt } from '../parts.tsx';
import { ProblemAlert } from '../problem.tsx';
import { fetchProduct, knownProduct, rememberProducts } from '../products.ts';
import { attributeName, attributeValue } from './home.tsx';
import { NotFound } from './not-found.tsx';

type State = Readonly<{
  sku: string;
  product?: Product | ProductSummary;
  missing?: boolean;
  error?: unknown;
}>;

export function ProductPage({ sku, initial }: { sku: string; initial?: Product }) {
  const [state, setState] = useState<State>(() => {
    if (initial?.sku === sku) return { sku, product: initial };
    const known = knownProduct(sku);
    return known ? { sku, product: known } : { sku };
  });
  const current = state.sku === sku ? state : { sku };

  useEffect(() => {
    if (current.product && 'description' in current.product) {
      rememberProducts([current.product]);
      return;
    }
    // A product seen in a search shows at once; its description follows.
    const known = knownProduct(sku);
    setState(known ? { sku, product: known } : { sku });
    const controller = new AbortController();
    fetchProduct(sku, controller.signal).then(
      (product) => setState(product ? { sku, product } : { sku, missing: true }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, sku, error }));
      },
    );
    return () => controller.abort();
  }, [sku]);

  const { product } = current;
  useTitle(product?.title ?? (current.missing ? 'Not found' : undefined));
  if (current.missing) return <NotFound what="product" />;
  if (!product)
    return current.error ? (
      <ProblemAlert error={current.error}>
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </ProblemAlert>
    ) : (
      <p class="muted">Loading…</p>
    );

  const attributes = Object.entries(product.attributes);
  return (
    <article class="product">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ol>
          <li>
            <a href="/">Shop</a>
          </li>
          <li>
            <a href={`/?${new URLSearchParams({ category: product.category }).toString()}`}>
              {product.category}
            </a>
          </li>
          <li aria-current="page">{product.title}</li>
        </ol>
      </nav>
      <div class="product-main">
        <ProductArt sku={product.sku} category={product.category} />
        <div class="product-info">
          <h1>{product.title}</h1>
          <p class="product-brand">
            <span class="muted">by </span>
            <a href={`/?${new URLSearchParams({ brand: product.brand }).toString()}`}>{product.brand}</a>
          </p>
          <p class="product-price">
            <Price money={product.price} />
          </p>
          <p>
            <Availability available={product.available} class="availability--large" />
          </p>
          <AddToCart product={product} />
          <p class="muted small">SKU {product.sku}</p>
        </div>
      </div>
      <div class="product-more">
        <section aria-labelledby="description-heading">
          <h2 id="description-heading">Description</h2>
          {'description' in product ? <p>{product.description}</p> : <p class="muted">Loading…</p>}
          {current.error !== undefined && <ProblemAlert error={current.error} />}
        </section>
        <section aria-labelledby="details-heading">
          <h2 id="details-heading">Details</h2>
          <table class="attributes">
            <tbody>
              <tr>
                <th scope="row">Brand</th>
                <td>{product.brand}</td>
              </tr>
              <tr>
                <th scope="row">Category</th>
                <td>{product.category}</td>
              </tr>
              {attributes.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{attributeName(name)}</th>
                  <td>{attributeValue(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </article>
  );
}

type Adding = Readonly<
  | { state: 'idle' }
  | { state: 'adding' }
  | { state: 'added'; quantity: number }
  | { state: 'failed'; error: unknown }
>;

function AddToCart({ product }: { product: Product | ProductSummary }) {
  const [quantity, setQuantity] = useState('1');
  const [adding, setAdding] = useState<Adding>({ state: 'idle' });
  const soldOut = product.available <= 0;
  const max = Math.max(1, Math.min(product.available, MAX_PER_LINE));
  return (
    <form
      class="add-to-cart"
      onSubmit={(event) => {
        event.preventDefault();
        const wanted = Number(quantity);
        if (!Number.isInteger(wanted) || wanted < 1) {
          setAdding({
            state: 'failed',
            error: undefined,
          });
          return;
        }
        setAdding({ state: 'adding' });
        addToCart(product.sku, wanted).then(
          () => setAdding({ state: 'added', quantity: wanted }),
          (error: unknown) => setAdding({ state: 'failed', error }),
        );
      }}
    >
      <div class="field field--inline">
        <label for="quantity">Quantity</label>
        <input
          id="quantity"
          type="number"
          inputMode="numeric"
          min={1}
          max={max}
          step={1}
          required
          value={quantity}
          disabled={soldOut}
          aria-invalid={adding.state === 'failed' && adding.error === undefined}
          aria-describedby={
            adding.state === 'failed' && adding.error === undefined ? 'quantity-error' : undefined
          }
          onInput={(event) => setQuantity(event.currentTarget.value)}
        />
        <button type="submit" class="button button--primary" disabled={soldOut || adding.state === 'adding'}>
          Add to cart
        </button>
      </div>
      {soldOut && <p class="muted">This item is sold out; check back later.</p>}
      <div class="add-result" aria-live="polite">
        {adding.state === 'added' && (
          <p class="notice notice-ok">
            Added {adding.quantity} to your cart. <a href="/shop/cart">View cart</a>
          </p>
        )}
        {adding.state === 'adding' && <p class="muted">Adding…</p>}
      </div>
      {adding.state === 'failed' &&
        (adding.error === undefined ? (
          <p class="field-error" id="quantity-error" role="alert">
            Enter a quantity of 1 or more.
          </p>
        ) : (
          <ProblemAlert error={adding.error} />
        ))}
    </form>
  );
}
