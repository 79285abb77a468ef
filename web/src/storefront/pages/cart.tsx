import { useEffect, useRef, useState } from 'preact/hooks';
import { formatMoney } from '../../shared/money.ts';
import type { Money } from '../../shared/types.ts';
import {
  guestTotal,
  itemCount,
  MAX_PER_LINE,
  removeFromCart,
  reviveKept,
  setQuantity,
  useCart,
  type CartItem,
} from '../cart.ts';
import { signInHref, useMounted, useTitle, useUser } from '../hooks.ts';
import { Availability, FEW_LEFT, ProductArt } from '../parts.tsx';
import { ProblemAlert } from '../problem.tsx';
import { useProducts } from '../products.ts';

export function CartPage() {
  useTitle('Cart');
  const mounted = useMounted();
  const cart = useCart();
  const user = useUser();
  const product = useProducts(cart.items.map((item) => item.sku));
  const [problem, setProblem] = useState<Readonly<{ error: unknown }> | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  const hasKept = cart.items.some((item) => item.kept);
  // Items kept while sold out go back into the cart once they are in stock again.
  useEffect(() => {
    if (hasKept) void reviveKept();
  }, [hasKept]);

  if (!mounted || !cart.ready) return <p class="muted">Loading your cart…</p>;

  const change = (sku: string, action: () => Promise<void>, removing = false) => {
    setBusy(sku);
    setProblem(undefined);
    action().then(
      () => {
        setBusy(undefined);
        // The line and its button are gone: keyboard focus goes back to the top of the cart.
        if (removing) heading.current?.focus();
      },
      (error: unknown) => {
        setBusy(undefined);
        setProblem({ error });
      },
    );
  };

  if (cart.owner === 'none')
    return (
      <section class="narrow">
        <h1>Cart</h1>
        <p>
          This account ({user?.email}) is for running the shop, not shopping: it has no cart.{' '}
          <a href="/console">Open the console</a>.
        </p>
      </section>
    );

  const total: Money | undefined = cart.total ?? guestTotal(cart.items);
  const count = itemCount(cart);
  const checkoutHref = user ? '/shop/checkout' : signInHref('/shop/checkout');
  return (
    <section class="cart-page">
      <h1 ref={heading} tabIndex={-1}>
        Cart
      </h1>
      {cart.error && <ProblemAlert error={cart.error} />}
      {problem && <ProblemAlert error={problem.error} />}
      {cart.items.length === 0 ? (
        <div class="empty">
          <p>Your cart is empty.</p>
          <p>
            <a href="/" class="button button--primary">
              Continue shopping
            </a>
          </p>
        </div>
      ) : (
        <div class="cart-layout">
          <ul class="cart-lines" aria-label="Items in your cart">
            {cart.items.map((item) => (
              <CartLine
                key={item.sku}
                item={item}
                known={product(item.sku)}
                busy={busy === item.sku}
                onQuantity={(quantity) => change(item.sku, () => setQuantity(item.sku, quantity))}
                onRemove={() => change(item.sku, () => removeFromCart(item.sku), true)}
              />
            ))}
          </ul>
          <aside class="summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            <dl>
              <div>
                <dt>Items</dt>
                <dd>{count}</dd>
              </div>
              <div class="summary-total">
                <dt>Total</dt>
                <dd>{total ? formatMoney(total) : '…'}</dd>
              </div>
            </dl>
            <p class="muted small">Shipping is free. Taxes are included.</p>
            <a href={checkoutHref} class="button button--primary button--wide">
              Checkout
            </a>
            {!user && (
              <p class="muted small">
                You will sign in (or create an account) first; your cart comes with you.
              </p>
            )}
          </aside>
        </div>
      )}
    </section>
  );
}

function CartLine({
  item,
  known,
  busy,
  onQuantity,
  onRemove,
}: {
  item: CartItem;
  known: ReturnType<ReturnType<typeof useProducts>>;
  busy: boolean;
  onQuantity: (quantity: number) => void;
  onRemove: () => void;
}) {
  const title = known?.title ?? item.sku;
  const inputId = `qty-${item.sku}`;
  const unitPrice = item.unitPrice ?? known?.price;
  const lineTotal =
    item.lineTotal ?? (unitPrice ? { ...unitPrice, amount: unitPrice.amount * item.quantity } : undefined);
  const [text, setText] = useState(String(item.quantity));
  const [shown, setShown] = useState(item.quantity);
  if (shown !== item.quantity) {
    // The cart changed (here or elsewhere): the box shows it.
    setShown(item.quantity);
    setText(String(item.quantity));
  }
  const max = known ? Math.max(item.quantity, Math.min(known.available, MAX_PER_LINE)) : MAX_PER_LINE;
  return (
    <li class="cart-line" aria-busy={busy}>
      {known ? (
        <ProductArt sku={item.sku} category={known.category} size="small" />
      ) : (
        <div class="art art--small art--other" aria-hidden="true" />
      )}
      <div class="cart-line-info">
        <p class="cart-line-title">
          {known ? <a href={`/shop/products/${encodeURIComponent(item.sku)}`}>{title}</a> : title}
        </p>
        {item.kept ? (
          <p class="small">
            <Availability available={0} /> · kept here for you; not part of your next checkout
          </p>
        ) : known === null ? (
          <p class="field-error">No longer sold: remove it to check out.</p>
        ) : (
          <p class="muted small">
            {unitPrice ? `${formatMoney(unitPrice)} each` : ''}
            {known && known.available < item.quantity && (
              <>
                {' · '}
                <Availability available={known.available} />
              </>
            )}
            {known && known.available >= item.quantity && known.available <= FEW_LEFT && (
              <>
                {' · '}
                <Availability available={known.available} />
              </>
            )}
          </p>
        )}
      </div>
      <div class="cart-line-qty">
        <label for={inputId} class="visually-hidden">
          Quantity of {title}
        </label>
        <input
          id={inputId}
          type="number"
          inputMode="numeric"
          min={0}
          max={max}
          step={1}
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
          onChange={(event) => {
            const quantity = Number(event.currentTarget.value);
            if (!Number.isInteger(quantity) || quantity < 0) {
              setText(String(item.quantity));
              return;
            }
            if (quantity !== item.quantity) onQuantity(quantity);
          }}
        />
      </div>
      <p class="cart-line-total">{lineTotal ? formatMoney(lineTotal) : ''}</p>
      <button type="button" class="link-button cart-line-remove" disabled={busy} onClick={onRemove}>
        Remove<span class="visually-hidden"> {title}</span>
      </button>
    </li>
  );
}
