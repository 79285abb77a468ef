import { useEffect, useState } from 'preact/hooks';
import { ApiError, currentUser, onSessionChange, request } from '../shared/api.ts';
import type { Cart, Money } from '../shared/types.ts';
import { fetchProduct, knownProduct } from './products.ts';

/**
 * The shopper's cart. A guest's lives in this browser's local storage (`[{sku, quantity}]`); a
 * signed-in customer's is the API's (`/cart`). At sign-in the guest cart is sent to `POST /cart/merge`
 * and cleared here (a merge of the same content twice changes nothing, so a retry is harmless).
 */

export type CartItem = Readonly<{
  sku: string;
  quantity: number;
  unitPrice?: Money | null;
  lineTotal?: Money | null;
  /**
   * Sold out when an order of it was cancelled, so the API's cart cannot hold it: kept here, shown
   * in the cart as sold out and left out of checkout, until it can go back in (see `reviveKept`).
   */
  kept?: boolean;
}>;

export type CartView = Readonly<{
  items: readonly CartItem[];
  /** The API's total (signed in); a guest's is counted from the prices the page knows. */
  total?: Money;
  /** Whose cart: a guest's, a customer's, or none (admins and auditors have no cart). */
  owner: 'guest' | 'customer' | 'none';
  /** False until the cart was read once. */
  ready: boolean;
  /** Why the cart could not be read or merged (the items shown are the last known). */
  error?: ApiError;
}>;

const GUEST_KEY = 'ec.cart';
export const MAX_PER_LINE = 1000;

let view: CartView = { items: [], owner: 'guest', ready: false };
const listeners = new Set<() => void>();

function publish(next: CartView): void {
  view = next;
  for (const listener of [...listeners]) listener();
}

/** The guest cart in local storage (anything unreadable in it is dropped). */
export function readGuestCart(): { sku: string; quantity: number }[] {
  if (typeof localStorage === 'undefined') return [];
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(GUEST_KEY) ?? '[]');
    if (!Array.isArray(stored)) return [];
    return stored.flatMap((line: unknown) => {
      const { sku, quantity } = (line ?? {}) as { sku?: unknown; quantity?: unknown };
      return typeof sku === 'string' &&
        sku.length > 0 &&
        Number.isInteger(quantity) &&
        (quantity as number) > 0
        ? [{ sku, quantity: Math.min(quantity as number, MAX_PER_LINE) }]
        : [];
    });
  } catch {
    return [];
  }
}

function writeGuestCart(items: readonly { sku: string; quantity: number }[]): void {
  if (items.length === 0) localStorage.removeItem(GUEST_KEY);
  else localStorage.setItem(GUEST_KEY, JSON.stringify(items.map(({ sku, quantity }) => ({ sku, quantity }))));
}

/** The customer's lines that are sold out and kept in this browser (see CartItem.kept). */
const KEPT_KEY = 'ec.kept';
type SkuQuantity = { sku: string; quantity: number };

function readKept(): SkuQuantity[] {
  const user = currentUser();
  if (!user || typeof localStorage === 'undefined') return [];
  try {
    const stored = JSON.parse(localStorage.getItem(KEPT_KEY) ?? 'null') as {
      userId?: string;
      items?: SkuQuantity[];
    } | null;
    return stored?.userId === user.userId && Array.isArray(stored.items) ? stored.items : [];
  } catch {
    return [];
  }
}

function writeKept(items: readonly SkuQuantity[]): void {
  const user = currentUser();
  if (!user || items.length === 0) localStorage.removeItem(KEPT_KEY);
  else localStorage.setItem(KEPT_KEY, JSON.stringify({ userId: user.userId, items }));
}

/** The API's answer last read: kept lines are shown beside it. */
let lastApiCart: Cart | undefined;

function fromApi(cart: Cart): CartView {
  lastApiCart = cart;
  const inCart = new Set(cart.items.map((item) => item.sku));
  const kept = readKept();
  const stillKept = kept.filter((item) => !inCart.has(item.sku));
  if (stillKept.length !== kept.length) writeKept(stillKept);
  return {
    items: [...cart.items, ...stillKept.map((item) => ({ ...item, kept: true }))],
    total: cart.total,
    owner: 'customer',
    ready: true,
  };
}

/** Keeps a sold-out line of a cancelled order in the customer's cart (as this browser shows it). */
export function keepSoldOut(sku: string, quantity: number): void {
  const kept = readKept().filter((item) => item.sku !== sku);
  writeKept([...kept, { sku, quantity }]);
  if (lastApiCart) publish(fromApi(lastApiCart));
}

function changeKept(sku: string, quantity: number): void {
  writeKept(
    readKept().flatMap((item) => (item.sku !== sku ? [item] : quantity > 0 ? [{ sku, quantity }] : [])),
  );
  if (lastApiCart) publish(fromApi(lastApiCart));
}

const isKept = (sku: string) => view.items.some((item) => item.sku === sku && item.kept);

/**
 * Kept lines whose product is back in stock go back into the API's cart (as many as can), asked
 * when the cart page opens.
 */
export async function reviveKept(): Promise<void> {
  for (const { sku, quantity } of readKept()) {
    const product = await fetchProduct(sku).catch(() => undefined);
    if (!product || product.available <= 0) continue;
    try {
      await request<Cart>('/cart/items', {
        method: 'POST',
        body: { sku, quantity: Math.min(quantity, product.available) },
      });
      changeKept(sku, 0);
    } catch {
      // still not sellable: stays kept
    }
  }
  if (readKept().length !== view.items.filter((item) => item.kept).length) await refreshCart();
}

const guestView = (): CartView => ({ items: readGuestCart(), owner: 'guest', ready: true });

let loading: Promise<void> | undefined;
let again = false;

/**
 * Reads the cart again (and, for a customer, merges a guest cart left in this browser first). One read
 * at a time; a call while one runs asks for one more afterwards.
 */
export function refreshCart(): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await readCart();
    } while (again);
  })().finally(() => {
    loading = undefined;
  });
  return loading;
}

async function readCart(): Promise<void> {
  const user = currentUser();
  if (!user) {
    lastApiCart = undefined;
    return publish(guestView());
  }
  if (user.role !== 'customer') return publish({ items: [], owner: 'none', ready: true });
  try {
    const guest = readGuestCart();
    if (guest.length > 0) {
      try {
        const merged = await request<Cart>('/cart/merge', { method: 'POST', body: { items: guest } });
        writeGuestCart([]);
        return publish(fromApi(merged));
      } catch (error) {
        // Refused for good (not a failure worth retrying): the guest cart cannot join, so it is let go
        // (said once) rather than sent again at every read.
        if (!(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500)
          throw error;
        writeGuestCart([]);
        return publish({ ...fromApi(await request<Cart>('/cart')), error });
      }
    }
    publish(fromApi(await request<Cart>('/cart')));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    publish({ ...view, ready: true, error });
  }
}

/** The cart once every change asked for so far has been read back. */
export const cartSettled = (): Promise<void> => loading ?? Promise.resolve();

if (typeof window !== 'undefined') {
  onSessionChange(() => void refreshCart());
  window.addEventListener('storage', (event) => {
    if (event.key === GUEST_KEY && !currentUser()) publish(guestView());
  });
}

/** The cart, re-rendering when it changes (read once on first use). */
export function useCart(): CartView {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((n) => n + 1);
    listeners.add(listener);
    if (!view.ready && !loading) void refreshCart();
    return () => void listeners.delete(listener);
  }, []);
  return view;
}

export const itemCount = (cart: CartView): number => cart.items.reduce((sum, item) => sum + item.quantity, 0);

/** A refusal worded as the API would: the guest cart keeps to what is in stock, as the API's does. */
const unavailable = (sku: string, available: number): ApiError =>
  new ApiError({
    title: available > 0 ? 'Not enough in stock' : 'Sold out',
    status: 409,
    detail:
      available > 0 ? `Only ${available} of this item can be added to your cart.` : 'This item is sold out.',
    code: 'QuantityUnavailable',
    details: { sku, available },
  });

function changeGuestCart(sku: string, quantity: (current: number) => number): void {
  const items = readGuestCart();
  const current = items.find((item) => item.sku === sku)?.quantity ?? 0;
  const wanted = quantity(current);
  const product = knownProduct(sku);
  if (wanted > current && product && wanted > product.available)
    throw unavailable(sku, Math.max(0, product.available));
  if (wanted > MAX_PER_LINE) throw unavailable(sku, MAX_PER_LINE);
  const next = items.filter((item) => item.sku !== sku);
  if (wanted > 0) {
    const at = items.findIndex((item) => item.sku === sku);
    next.splice(at < 0 ? next.length : at, 0, { sku, quantity: wanted });
  }
  writeGuestCart(next);
  publish(guestView());
}

/** Runs a change of the customer's cart and shows the cart it answers with. */
async function changeApiCart(path: string, method: 'POST' | 'PUT' | 'DELETE', body?: unknown): Promise<void> {
  publish(fromApi(await request<Cart>(path, { method, body })));
}

function requireCart(): void {
  if (view.owner === 'none' || (currentUser() && currentUser()!.role !== 'customer'))
    throw new ApiError({
      title: 'No cart for this account',
      status: 403,
      detail: 'Only shopper accounts have a cart. Sign out to shop as a guest, or sign in as a shopper.',
    });
}

export async function addToCart(sku: string, quantity: number): Promise<void> {
  requireCart();
  if (!currentUser()) return changeGuestCart(sku, (current) => current + quantity);
  await changeApiCart('/cart/items', 'POST', { sku, quantity });
}

export async function setQuantity(sku: string, quantity: number): Promise<void> {
  requireCart();
  if (quantity <= 0) return removeFromCart(sku);
  if (!currentUser()) return changeGuestCart(sku, () => quantity);
  if (isKept(sku)) return changeKept(sku, quantity);
  await changeApiCart(`/cart/items/${encodeURIComponent(sku)}`, 'PUT', { quantity });
}

export async function removeFromCart(sku: string): Promise<void> {
  requireCart();
  if (!currentUser()) return changeGuestCart(sku, () => 0);
  if (isKept(sku)) return changeKept(sku, 0);
  await changeApiCart(`/cart/items/${encodeURIComponent(sku)}`, 'DELETE');
}

/** The guest's lines priced from what the page knows; undefined while a price is unknown. */
export function guestTotal(items: readonly CartItem[]): Money | undefined {
  let amount = 0;
  let currency: string | undefined;
  for (const item of items) {
    const product = knownProduct(item.sku);
    if (product === null) continue; // no longer sold: not counted, as the API leaves it out
    if (!product) return undefined;
    amount += product.price.amount * item.quantity;
    currency ??= product.price.currency;
  }
  return { amount, currency: currency ?? 'USD' };
}
