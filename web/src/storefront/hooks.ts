import { useEffect, useState } from 'preact/hooks';
import { currentUser, onSessionChange } from '../shared/api.ts';
import type { User } from '../shared/types.ts';

/**
 * True while the browser takes over the page the server rendered: the first render must draw what the
 * server drew (a guest with an empty cart), and only then what this browser knows (the session, the
 * cart in local storage).
 */
let hydrating = false;
export const setHydrating = (value: boolean): void => {
  hydrating = value;
};

/** False in the render that hydrates a server-rendered page, true from then on (and on the server). */
export function useMounted(): boolean {
  const [mounted, setMounted] = useState(!hydrating);
  useEffect(() => setMounted(true), []);
  return mounted;
}

/** The signed-in user (re-rendering at sign-in and sign-out, in this tab or another). */
export function useUser(): User | undefined {
  const mounted = useMounted();
  const [, setVersion] = useState(0);
  useEffect(() => onSessionChange(() => setVersion((n) => n + 1)), []);
  return mounted ? currentUser() : undefined;
}

/** The document's title while a page is shown. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title} · eventful shop`;
  }, [title]);
}

/** Where to go after signing in: a path of this site only (never another origin). */
export function safeNext(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}

/** The sign-in page, coming back to `here` afterwards. */
export const signInHref = (here: string): string => `/shop/sign-in?next=${encodeURIComponent(here)}`;
