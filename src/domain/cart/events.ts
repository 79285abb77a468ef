import type { DomainEvent } from '../decider.ts';

export type CartLine = Readonly<{ sku: string; quantity: number }>;

/** `quantity` was added; `quantityInCart` is the line afterwards, so a reader needs no history. */
export type CartItemAdded = DomainEvent<
  'CartItemAdded',
  { cartId: string; sku: string; quantity: number; quantityInCart: number }
>;
export type CartItemQuantityChanged = DomainEvent<
  'CartItemQuantityChanged',
  { cartId: string; sku: string; quantity: number }
>;
export type CartItemRemoved = DomainEvent<'CartItemRemoved', { cartId: string; sku: string }>;
/** `changed` holds the resulting quantity of every line the merge changed; `dropped` lines are gone. */
export type CartMerged = DomainEvent<
  'CartMerged',
  { cartId: string; fromCartId: string; changed: readonly CartLine[]; dropped: readonly string[] }
>;
export type CartCheckedOut = DomainEvent<
  'CartCheckedOut',
  { cartId: string; orderId: string; items: readonly CartLine[]; at: string }
>;

export type CartEvent =
  CartItemAdded | CartItemQuantityChanged | CartItemRemoved | CartMerged | CartCheckedOut;
