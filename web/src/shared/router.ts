import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { h } from 'preact';

/** Where the page is: path and query, as in the address bar (shareable, bookmarkable). */
export type Place = Readonly<{ path: string; query: URLSearchParams }>;

const placeOf = (url: string): Place => {
  const parsed = new URL(url, 'http://page.invalid');
  return { path: parsed.pathname, query: parsed.searchParams };
};

const listeners = new Set<() => void>();

/**
 * Goes to `href` inside the single-page app (a history entry, as a link would). A new entry scrolls to
 * the top unless `scroll: false` (a filter changed in place: the control keeps its place and focus).
 */
export function navigate(href: string, options: { replace?: boolean; scroll?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const listener of [...listeners]) listener();
  if (options.scroll ?? !options.replace) window.scrollTo(0, 0);
}

const ServerPlace = createContext<string | undefined>(undefined);

/** On the server: renders the app as if at `url`. */
export function AtPlace(props: { url: string; children: ComponentChildren }) {
  return h(ServerPlace.Provider, { value: props.url }, props.children);
}

/** The current place, re-rendering on navigation (back and forward included). */
export function usePlace(): Place {
  const serverUrl = useContext(ServerPlace);
  const [url, setUrl] = useState(() => serverUrl ?? location.pathname + location.search);
  useEffect(() => {
    const update = () => setUrl(location.pathname + location.search);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return placeOf(url);
}

/**
 * Same-origin links are followed inside the app (no page load); modified clicks (new tab), downloads
 * and links elsewhere are left to the browser.
 */
export function interceptLinks(root: HTMLElement, handles: (path: string) => boolean): void {
  root.addEventListener('click', (event) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    const anchor = (event.target as Element).closest('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin)
      return;
    if (!handles(anchor.pathname)) return;
    // A link within this page (a skip link, `#section`) is the browser's: it scrolls and moves focus.
    if (anchor.hash && anchor.pathname === location.pathname && anchor.search === location.search) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search + anchor.hash);
  });
}
