import type { ComponentChildren } from 'preact';

export function Layout({ children }: { children: ComponentChildren }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="/">
          eventful<span>shop</span>
        </a>
        <form class="search" role="search" action="/" method="get">
          <label class="visually-hidden" for="site-search">
            Search
          </label>
          <input id="site-search" name="q" type="search" placeholder="Search products" />
          <button type="submit">Search</button>
        </form>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="site-footer">
        <p>eventful-commerce · an event-sourced shop</p>
      </footer>
    </>
  );
}
