import { useEffect, useState } from 'preact/hooks';
import { ApiError, newKey, request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import { navigate } from '../../shared/router.ts';
import type { OrderAccepted, StorefrontConfig } from '../../shared/types.ts';
import { refreshCart, useCart } from '../cart.ts';
import { storefrontConfig } from '../config.ts';
import { signInHref, useMounted, useTitle, useUser } from '../hooks.ts';
import { Availability } from '../parts.tsx';
import { ProblemAlert } from '../problem.tsx';
import { fetchProduct, titleOf, useProducts } from '../products.ts';

/**
 * One attempt at placing an order: its Idempotency-Key is kept (across a reload too) while the same
 * cart is sent with the same payment method, so a retry after a lost answer finds the same order.
 */
const ATTEMPT_KEY = 'ec.checkout-attempt';
type Attempt = Readonly<{ key: string; signature: string }>;

function attemptFor(signature: string): Attempt {
  try {
    const stored = JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) ?? 'null') as Attempt | null;
    if (stored?.signature === signature) return stored;
  } catch {
    // unreadable: a new attempt
  }
  const attempt = { key: `checkout-${newKey()}`, signature };
  sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(attempt));
  return attempt;
}
const attemptOver = () => sessionStorage.removeItem(ATTEMPT_KEY);

/** Whether trying the same request again may work: nothing was refused for good. */
const worthRetrying = (error: unknown) =>
  !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;

const isSoldOut = (error: unknown): error is ApiError =>
  error instanceof ApiError &&
  (error.status === 409 ||
    /sold.?out/i.test(`${error.problem.type ?? ''} ${error.problem.code ?? ''} ${error.problem.title}`));

/** Lines of the cart that the stock cannot cover now, with what is left of each. */
type Short = Readonly<{ sku: string; quantity: number; available: number }>;

class SoldOut extends Error {
  constructor(readonly lines: readonly Short[]) {
    super('sold out');
  }
}

async function shortOfStock(lines: readonly { sku: string; quantity: number }[]): Promise<Short[]> {
  const levels = await Promise.all(
    lines.map((line) =>
      request<{ available: number }>(`/inventory/${encodeURIComponent(line.sku)}`, { auth: false }).then(
        (level) => ({ ...line, available: level.available }),
        // Unknown here: the order decides, as it would have anyway.
        () => undefined,
      ),
    ),
  );
  return levels.filter((line): line is Short => line !== undefined && line.available < line.quantity);
}

export function CheckoutPage() {
  useTitle('Checkout');
  const mounted = useMounted();
  const user = useUser();
  const cart = useCart();
  const product = useProducts(cart.items.map((item) => item.sku));
  const [config, setConfig] = useState<StorefrontConfig | undefined>();
  const [configError, setConfigError] = useState<unknown>();
  const [method, setMethod] = useState<string | undefined>();
  const [placing, setPlacing] = useState(false);
  const [problem, setProblem] = useState<Readonly<{ error: unknown }> | undefined>();

  useEffect(() => {
    if (mounted && !user) navigate(signInHref('/shop/checkout'), { replace: true });
  }, [mounted, user]);

  useEffect(() => {
    storefrontConfig().then((answer) => {
      setConfig(answer);
      setMethod((m) => m ?? answer.paymentMethods[0]?.id);
    }, setConfigError);
  }, []);

  if (!mounted || !user || !cart.ready) return <p class="muted">Loading…</p>;
  if (cart.owner === 'none')
    return (
      <section class="narrow">
        <h1>Checkout</h1>
        <p>Only shopper accounts can place orders.</p>
      </section>
    );

  const lines = cart.items.filter((item) => !item.kept);
  const kept = cart.items.filter((item) => item.kept);

  const place = async () => {
    if (!method) return;
    setPlacing(true);
    setProblem(undefined);
    // Stock now (read from the inventory streams, exact): an item sold out meanwhile is said so here,
    // and nothing is placed, so the cart stays as it is.
    const short = await shortOfStock(lines);
    if (short.length > 0) {
      // The lines say so too (the page's copy of those products is out of date).
      for (const line of short) void fetchProduct(line.sku).catch(() => undefined);
      setPlacing(false);
      setProblem({ error: new SoldOut(short) });
      return;
    }
    const signature = `${method}|${lines.map((i) => `${i.sku}*${i.quantity}`).join(',')}`;
    const attempt = attemptFor(signature);
    try {
      const accepted = await request<OrderAccepted>('/checkout', {
        method: 'POST',
        body: { paymentMethod: method },
        idempotencyKey: attempt.key,
      });
      attemptOver();
      void refreshCart();
      navigate(`/shop/orders/${encodeURIComponent(accepted.orderId)}`);
    } catch (error) {
      if (!worthRetrying(error)) attemptOver();
      setPlacing(false);
      setProblem({ error });
      void refreshCart();
    }
  };

  const unavailable = lines.filter((item) => {
    const known = product(item.sku);
    return known === null || (known !== undefined && known.available < item.quantity);
  });

  return (
    <section class="checkout">
      <h1>Checkout</h1>
      {problem && <CheckoutProblem error={problem.error} />}
      {lines.length === 0 ? (
        <div class="empty">
          <p>{kept.length > 0 ? 'Everything in your cart is sold out for now.' : 'Your cart is empty.'}</p>
          <p>
            <a href="/">Continue shopping</a>
          </p>
        </div>
      ) : (
        <form
          class="checkout-layout"
          onSubmit={(event) => {
            event.preventDefault();
            void place();
          }}
        >
          <section class="summary" aria-labelledby="order-summary">
            <h2 id="order-summary">Your order</h2>
            <ul class="plain-list">
              {lines.map((item) => {
                const known = product(item.sku);
                return (
                  <li key={item.sku} class="summary-line">
                    <span>
                      {item.quantity} × {known?.title ?? item.sku}
                      {known && known.available < item.quantity && (
                        <>
                          {' '}
                          <Availability available={known.available} />
                        </>
                      )}
                    </span>
                    <span>{item.lineTotal ? formatMoney(item.lineTotal) : ''}</span>
                  </li>
                );
              })}
            </ul>
            {kept.length > 0 && (
              <p class="small muted">
                Not in this order (sold out): {kept.map((item) => titleOf(item.sku)).join(', ')}.
              </p>
            )}
            <p class="summary-total">
              <span>Total</span>
              <span>{cart.total ? formatMoney(cart.total) : '…'}</span>
            </p>
            <p>
              <a href="/shop/cart">Change your cart</a>
            </p>
          </section>
          <section class="payment" aria-labelledby="payment-heading">
            <h2 id="payment-heading">Payment</h2>
            {unavailable.length > 0 && (
              <p class="notice notice-warn">
                {unavailable.map((item) => titleOf(item.sku)).join(', ')}{' '}
                {unavailable.length === 1 ? 'is' : 'are'} no longer available in that quantity: the order may
                be refused. <a href="/shop/cart">Review your cart</a>.
              </p>
            )}
            {configError !== undefined && <ProblemAlert error={configError} />}
            {!config && configError === undefined && <p class="muted">Loading payment methods…</p>}
            {config && config.paymentMethods.length === 0 && (
              <p class="notice notice-warn">
                This shop takes no payment method this page can offer yet ({config.gateway} gateway).
              </p>
            )}
            {config && config.paymentMethods.length > 0 && (
              <fieldset class="methods" role="radiogroup" aria-labelledby="methods-legend">
                <legend id="methods-legend">Payment method</legend>
                {config.gateway === 'simulated' && (
                  <p class="hint">A test shop: no real card is charged. Each test card answers as it says.</p>
                )}
                {config.paymentMethods.map((m) => (
                  <label key={m.id} class="method">
                    <input
                      type="radio"
                      name="paymentMethod"
                      value={m.id}
                      checked={method === m.id}
                      onChange={() => setMethod(m.id)}
                    />
                    <span>{m.label}</span>
                  </label>
                ))}
              </fieldset>
            )}
            <button
              type="submit"
              class="button button--primary button--wide"
              disabled={placing || !method || !config}
            >
              {placing ? 'Placing order…' : 'Place order'}
            </button>
          </section>
        </form>
      )}
    </section>
  );
}

function CheckoutProblem({ error }: { error: unknown }) {
  if (error instanceof SoldOut) {
    const soldOut = error.lines.filter((line) => line.available <= 0);
    const fewer = error.lines.filter((line) => line.available > 0);
    return (
      <div class="alert alert-error" role="alert">
        <p class="alert-title">
          {soldOut.length > 0
            ? `Sorry, ${soldOut.map((line) => titleOf(line.sku)).join(', ')} sold out`
            : 'Sorry, fewer are left than you asked for'}
        </p>
        {soldOut.length > 0 && (
          <p>
            {soldOut.map((line) => titleOf(line.sku)).join(', ')} {soldOut.length === 1 ? 'is' : 'are'} sold
            out now (another shopper took the last units).
          </p>
        )}
        {fewer.map((line) => (
          <p key={line.sku}>
            Only {line.available} of {titleOf(line.sku)} {line.available === 1 ? 'is' : 'are'} left.
          </p>
        ))}
        <p>
          Nothing was ordered or charged, and your cart is kept as it is:{' '}
          <a href="/shop/cart">change it in your cart</a>, then place the order again.
        </p>
      </div>
    );
  }
  if (isSoldOut(error))
    return (
      <div class="alert alert-error" role="alert">
        <p class="alert-title">
          Sorry,{' '}
          {(error.problem.details?.skus as string[] | undefined)?.map(titleOf).join(', ') ??
            'an item in your cart'}{' '}
          sold out
        </p>
        <p>
          Something in your order is sold out (or there are fewer left than you asked for), so nothing was
          ordered or charged. Your cart is kept:{' '}
          <a href="/shop/cart">lower the quantity or remove the sold-out item</a>, then place the order again.
        </p>
      </div>
    );
  if (error instanceof ApiError && error.problem.code === 'ProductUnavailable') {
    const skus = (error.problem.details?.skus as string[] | undefined) ?? [];
    return (
      <div class="alert alert-error" role="alert">
        <p class="alert-title">No longer for sale</p>
        <p>
          {skus.length > 0 ? skus.map(titleOf).join(', ') : 'An item in your cart'}{' '}
          {skus.length > 1 ? 'are' : 'is'} no longer sold, so nothing was ordered. Your cart is kept:{' '}
          <a href="/shop/cart">remove it from your cart</a> and place the order again.
        </p>
      </div>
    );
  }
  return (
    <ProblemAlert error={error}>
      {worthRetrying(error) && (
        <p>Your cart is unchanged. Placing the order again is safe: it will not be placed twice.</p>
      )}
    </ProblemAlert>
  );
}
