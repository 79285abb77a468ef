import { describe, expect, it } from 'vitest';
import { cartDecider, type CartCommand, type CartEvent } from '../../src/domain/cart/index.ts';
import { fold } from '../../src/domain/decider.ts';
import { specification } from './specification.ts';

const given = specification(cartDecider);

const cartId = 'cart-customer-7';
const at = '2025-11-28T09:00:00.000Z';

const added = (sku: string, quantity: number, quantityInCart = quantity): CartEvent => ({
  type: 'CartItemAdded',
  data: { cartId, sku, quantity, quantityInCart },
});
const quantityChanged = (sku: string, quantity: number): CartEvent => ({
  type: 'CartItemQuantityChanged',
  data: { cartId, sku, quantity },
});
const removed = (sku: string): CartEvent => ({ type: 'CartItemRemoved', data: { cartId, sku } });
const checkedOut = (items: Array<{ sku: string; quantity: number }>, orderId = 'order-1'): CartEvent => ({
  type: 'CartCheckedOut',
  data: { cartId, orderId, items, at },
});

const addItem = (sku: string, quantity: number, maxQuantity?: number): CartCommand => ({
  type: 'AddItem',
  data: maxQuantity === undefined ? { cartId, sku, quantity } : { cartId, sku, quantity, maxQuantity },
});
const changeQuantity = (sku: string, quantity: number, maxQuantity?: number): CartCommand => ({
  type: 'ChangeItemQuantity',
  data: maxQuantity === undefined ? { cartId, sku, quantity } : { cartId, sku, quantity, maxQuantity },
});
const removeItem = (sku: string): CartCommand => ({ type: 'RemoveItem', data: { cartId, sku } });
const mergeGuestCart = (
  items: Array<{ sku: string; quantity: number }>,
  sellable: Record<string, number>,
  fromCartId = 'cart-guest-1',
): CartCommand => ({ type: 'MergeCart', data: { cartId, fromCartId, items, sellable } });
const checkOut = (orderId = 'order-1'): CartCommand => ({
  type: 'CheckOutCart',
  data: { cartId, orderId, at },
});

describe('cart: adding items', () => {
  it('adds an item to an empty cart', () =>
    given([])
      .when(addItem('SKU-MUG', 2))
      .then([added('SKU-MUG', 2)]));

  it('adds to the quantity already in the cart', () =>
    given([added('SKU-MUG', 2)])
      .when(addItem('SKU-MUG', 3))
      .then([added('SKU-MUG', 3, 5)]));

  it('adds up to what is sellable', () =>
    given([added('SKU-MUG', 2)])
      .when(addItem('SKU-MUG', 1, 3))
      .then([added('SKU-MUG', 1, 3)]));

  it('refuses more than is sellable', () =>
    given([added('SKU-MUG', 2)])
      .when(addItem('SKU-MUG', 2, 3))
      .thenFails('QuantityUnavailable'));

  it('refuses an item that is sold out', () =>
    given([])
      .when(addItem('SKU-MUG', 1, 0))
      .thenFails('QuantityUnavailable'));

  it('refuses more than 1000 of one item', () => {
    given([])
      .when(addItem('SKU-MUG', 1000))
      .then([added('SKU-MUG', 1000)]);
    given([]).when(addItem('SKU-MUG', 1001)).thenFails('QuantityTooLarge');
    given([added('SKU-MUG', 999)])
      .when(addItem('SKU-MUG', 2))
      .thenFails('QuantityTooLarge');
  });

  it('refuses zero, negative and fractional quantities', () => {
    for (const quantity of [0, -2, 1.5])
      given([]).when(addItem('SKU-MUG', quantity)).thenFails('InvalidCommandData');
  });

  it('refuses an empty SKU', () => given([]).when(addItem('', 1)).thenFails('InvalidCommandData'));

  it('refuses a negative sellable quantity', () =>
    given([])
      .when(addItem('SKU-MUG', 1, -1))
      .thenFails('InvalidCommandData'));

  it('refuses a command for another cart than the stream holds', () =>
    given([added('SKU-MUG', 1)])
      .when({ type: 'AddItem', data: { cartId: 'cart-other', sku: 'SKU-MUG', quantity: 1 } })
      .thenFails('CartIdMismatch'));

  it('treats a SKU that names an Object property as any other SKU', () =>
    given([])
      .when(addItem('constructor', 1))
      .then([added('constructor', 1)]));
});

describe('cart: changing quantities and removing items', () => {
  it('changes the quantity of an item', () =>
    given([added('SKU-MUG', 2)])
      .when(changeQuantity('SKU-MUG', 5))
      .then([quantityChanged('SKU-MUG', 5)]));

  it('is idempotent: setting the same quantity changes nothing', () =>
    given([added('SKU-MUG', 2)])
      .when(changeQuantity('SKU-MUG', 2))
      .thenNothingHappens());

  it('refuses an item not in the cart', () =>
    given([]).when(changeQuantity('SKU-MUG', 2)).thenFails('ItemNotInCart'));

  it('refuses an item removed from the cart', () =>
    given([added('SKU-MUG', 2), removed('SKU-MUG')])
      .when(changeQuantity('SKU-MUG', 2))
      .thenFails('ItemNotInCart'));

  it('refuses zero: removing is its own command', () =>
    given([added('SKU-MUG', 2)])
      .when(changeQuantity('SKU-MUG', 0))
      .thenFails('InvalidCommandData'));

  it('refuses more than 1000', () =>
    given([added('SKU-MUG', 2)])
      .when(changeQuantity('SKU-MUG', 1001))
      .thenFails('QuantityTooLarge'));

  it('refuses raising the quantity above what is sellable', () =>
    given([added('SKU-MUG', 2)])
      .when(changeQuantity('SKU-MUG', 4, 3))
      .thenFails('QuantityUnavailable'));

  it('allows lowering the quantity even when less is sellable now', () =>
    given([added('SKU-MUG', 5)])
      .when(changeQuantity('SKU-MUG', 4, 1))
      .then([quantityChanged('SKU-MUG', 4)]));

  it('removes an item', () =>
    given([added('SKU-MUG', 2)])
      .when(removeItem('SKU-MUG'))
      .then([removed('SKU-MUG')]));

  it('is idempotent: removing an item not in the cart changes nothing', () =>
    given([added('SKU-MUG', 2), removed('SKU-MUG')])
      .when(removeItem('SKU-MUG'))
      .thenNothingHappens());
});

describe('cart: merging a guest cart at login', () => {
  it('adds quantities up, capped at what is sellable, and drops what is not sellable', () =>
    given([added('SKU-MUG', 2), added('SKU-TEA', 1)])
      .when(
        mergeGuestCart(
          [
            { sku: 'SKU-MUG', quantity: 3 },
            { sku: 'SKU-TEA', quantity: 1 },
            { sku: 'SKU-KETTLE', quantity: 1 },
            { sku: 'SKU-SPOON', quantity: 2 },
          ],
          { 'SKU-MUG': 4, 'SKU-TEA': 10, 'SKU-KETTLE': 0, 'SKU-SPOON': 5 },
        ),
      )
      .then([
        {
          type: 'CartMerged',
          data: {
            cartId,
            fromCartId: 'cart-guest-1',
            changed: [
              { sku: 'SKU-MUG', quantity: 4 },
              { sku: 'SKU-SPOON', quantity: 2 },
              { sku: 'SKU-TEA', quantity: 2 },
            ],
            dropped: ['SKU-KETTLE'],
          },
        },
      ]));

  it('treats a SKU missing from sellable as not sellable', () =>
    given([])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 1 }], {}))
      .then([
        {
          type: 'CartMerged',
          data: { cartId, fromCartId: 'cart-guest-1', changed: [], dropped: ['SKU-MUG'] },
        },
      ]));

  it('drops a line already in the cart when nothing of it is sellable', () => {
    const merged: CartEvent = {
      type: 'CartMerged',
      data: { cartId, fromCartId: 'cart-guest-1', changed: [], dropped: ['SKU-MUG'] },
    };
    given([added('SKU-MUG', 2)])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 1 }], { 'SKU-MUG': 0 }))
      .then([merged]);
    expect(fold(cartDecider, [added('SKU-MUG', 2), merged]).items).toEqual({});
  });

  it('caps a merged line at 1000', () =>
    given([added('SKU-MUG', 900)])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 200 }], { 'SKU-MUG': 5000 }))
      .then([
        {
          type: 'CartMerged',
          data: {
            cartId,
            fromCartId: 'cart-guest-1',
            changed: [{ sku: 'SKU-MUG', quantity: 1000 }],
            dropped: [],
          },
        },
      ]));

  it('adds up a SKU listed twice in the guest cart', () =>
    given([])
      .when(
        mergeGuestCart(
          [
            { sku: 'SKU-MUG', quantity: 1 },
            { sku: 'SKU-MUG', quantity: 2 },
          ],
          { 'SKU-MUG': 10 },
        ),
      )
      .then([
        {
          type: 'CartMerged',
          data: {
            cartId,
            fromCartId: 'cart-guest-1',
            changed: [{ sku: 'SKU-MUG', quantity: 3 }],
            dropped: [],
          },
        },
      ]));

  it('is idempotent: merging the same guest cart again changes nothing', () => {
    const merge = mergeGuestCart([{ sku: 'SKU-MUG', quantity: 1 }], { 'SKU-MUG': 10 });
    const first = cartDecider.decide(merge, cartDecider.initialState());
    if (first._tag === 'Left') throw new Error(first.left.code);
    given(first.right).when(merge).thenNothingHappens();
  });

  it('changes nothing when the guest cart is empty', () =>
    given([added('SKU-MUG', 1)])
      .when(mergeGuestCart([], {}))
      .thenNothingHappens());

  it('changes nothing when the cart already holds all that is sellable', () =>
    given([added('SKU-MUG', 3)])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 2 }], { 'SKU-MUG': 3 }))
      .thenNothingHappens());

  it('refuses merging a cart into itself', () =>
    given([])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 1 }], { 'SKU-MUG': 1 }, cartId))
      .thenFails('InvalidCommandData'));

  it('refuses a guest line with a zero quantity', () =>
    given([])
      .when(mergeGuestCart([{ sku: 'SKU-MUG', quantity: 0 }], { 'SKU-MUG': 1 }))
      .thenFails('InvalidCommandData'));
});

describe('cart: checking out', () => {
  it('checks out the items, sorted by SKU', () =>
    given([added('SKU-TEA', 1), added('SKU-MUG', 2)])
      .when(checkOut())
      .then([
        checkedOut([
          { sku: 'SKU-MUG', quantity: 2 },
          { sku: 'SKU-TEA', quantity: 1 },
        ]),
      ]));

  it('is idempotent: checking out again for the same order changes nothing', () =>
    given([added('SKU-MUG', 2), checkedOut([{ sku: 'SKU-MUG', quantity: 2 }])])
      .when(checkOut())
      .thenNothingHappens());

  it('refuses checking out again for another order', () =>
    given([added('SKU-MUG', 2), checkedOut([{ sku: 'SKU-MUG', quantity: 2 }])])
      .when(checkOut('order-2'))
      .thenFails('CartCheckedOut'));

  it('refuses an empty cart', () => {
    given([]).when(checkOut()).thenFails('CartEmpty');
    given([added('SKU-MUG', 2), removed('SKU-MUG')])
      .when(checkOut())
      .thenFails('CartEmpty');
  });

  it('takes no more changes once checked out', () => {
    const history = [added('SKU-MUG', 2), checkedOut([{ sku: 'SKU-MUG', quantity: 2 }])];
    given(history).when(addItem('SKU-TEA', 1)).thenFails('CartCheckedOut');
    given(history).when(changeQuantity('SKU-MUG', 3)).thenFails('CartCheckedOut');
    given(history).when(removeItem('SKU-MUG')).thenFails('CartCheckedOut');
    given(history)
      .when(mergeGuestCart([{ sku: 'SKU-TEA', quantity: 1 }], { 'SKU-TEA': 1 }))
      .thenFails('CartCheckedOut');
  });

  it('refuses a malformed checkout time', () =>
    given([added('SKU-MUG', 2)])
      .when({ type: 'CheckOutCart', data: { cartId, orderId: 'order-1', at: 'now' } })
      .thenFails('InvalidCommandData'));
});
