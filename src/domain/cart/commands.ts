import { z } from 'zod';
import { id, quantity, instant } from '../command-data.ts';
import type { DomainCommand } from '../decider.ts';

/** What is sellable right now, read from the availability projection by the caller. */
const sellableUnits = z.int().nonnegative();

export const addItemData = z.object({ cartId: id, sku: id, quantity, maxQuantity: sellableUnits.optional() });
export const changeItemQuantityData = z.object({
  cartId: id,
  sku: id,
  quantity,
  maxQuantity: sellableUnits.optional(),
});
export const removeItemData = z.object({ cartId: id, sku: id });
export const mergeCartData = z.object({
  cartId: id,
  fromCartId: id,
  items: z.array(z.object({ sku: id, quantity })),
  sellable: z.record(id, sellableUnits),
});
export const checkOutCartData = z.object({ cartId: id, orderId: id, at: instant });

export type AddItem = DomainCommand<'AddItem', z.infer<typeof addItemData>>;
export type ChangeItemQuantity = DomainCommand<'ChangeItemQuantity', z.infer<typeof changeItemQuantityData>>;
export type RemoveItem = DomainCommand<'RemoveItem', z.infer<typeof removeItemData>>;
/** A guest cart joins the customer's cart at login. */
export type MergeCart = DomainCommand<'MergeCart', z.infer<typeof mergeCartData>>;
export type CheckOutCart = DomainCommand<'CheckOutCart', z.infer<typeof checkOutCartData>>;

export type CartCommand = AddItem | ChangeItemQuantity | RemoveItem | MergeCart | CheckOutCart;
