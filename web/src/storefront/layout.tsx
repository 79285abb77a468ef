import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signOut } from '../shared/api.ts';
import { navigate, type Place } from '../shared/router.ts';
import { itemCount, useCart } from './cart.ts';
import { useMounted, useUser } from './hooks.ts';

function SearchForm({ place }: { place: Place }) {
  const current = place.path === '/' ? (place.query.get('q') ?? '') : '';
  const [text, setText] = useState(current);
  // The box shows the search of the page (back and forward included).
  useEffect(() => setText(current), [current]);
  return (
    <form
      class="search"
      role="search"
      action="/"
      method="get"
      onSubmit={(event) => {
        event.preventDefault();
        const q = text.trim();
        navigate(q ? `/?${new URLSearchParams({ q }).toString()}` : '/');
      }}
    >
      <label class="visually-hidden" for="site-search">
        Search
      </label>
      <input
        id="site-search"
        name="q"
        type="search"
        placeholder="Search products"
        autocomplete="off"
        enterKeyHint="search"
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
      />
      <button type="submit" class="button">
        Search
      </button>
    </form>
  );
}

function AccountNav() {
  const user = useUser();
  const cart = useCart();
  const mounted = useMounted();
  const [leaving, setLeaving] = useState(false);
  // Drawn as a guest with an empty cart until the page is taken over (as the server drew it).
  const count = mounted ? itemCount(cart) : 0;
  return (
    <nav class="account-nav" aria-label="Your account">
      <ul>
        {user && user.role === 'customer' && (
          <li>
            <a href="/shop/orders">Orders</a>
          </li>
        )}
        <li>
          <a href="/shop/cart" class="cart-link">
            Cart
            <span class={count > 0 ? 'badge' : 'badge badge--empty'}>
              {count > 0 ? count : ''}
              {count > 0 && <span class="visually-hidden">{count === 1 ? ' item' : ' items'}</span>}
            </span>
          </a>
        </li>
        <li>
          {user ? (
            <button
              type="button"
              class="link-button"
              disabled={leaving}
              onClick={() => {
                setLeaving(true);
                signOut()
                  .catch(() => undefined) // signed out here whatever the API answered
                  .finally(() => {
                    setLeaving(false);
                    navigate('/');
                  });
              }}
            >
              Sign out
            </button>
          ) : (
            <a href="/shop/sign-in">Sign in</a>
          )}
        </li>
      </ul>
    </nav>
  );
}

export function Layout({ place, children }: { place: Place; children: ComponentChildren }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="header-inner">
          <a class="brand" href="/">
            eventful<span>shop</span>
          </a>
          <SearchForm place={place} />
          <AccountNav />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="site-footer">
        <p>eventful-commerce · an event-sourced shop · nothing is sold that is not there</p>
      </footer>
    </>
  );
}
