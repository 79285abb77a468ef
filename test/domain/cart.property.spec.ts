import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  cartDecider,
  maxQuantityPerLine,
  type CartCommand,
  type CartState,
} from '../../src/domain/cart/index.ts';

const cartId = 'cart-1';
const sku = fc.constantFrom('SKU-MUG', 'SKU-TEA', 'SKU-KETTLE');
const sellable = fc.integer({ min: 0, max: 1500 });

const command: fc.Arbitrary<CartCommand> = fc.oneof(
  fc
    .record({
      sku,
      quantity: fc.integer({ min: 1, max: 600 }),
      maxQuantity: fc.option(sellable, { nil: undefined }),
    })
    .map(({ sku, quantity, maxQuantity }): CartCommand => ({
      type: 'AddItem',
      data: maxQuantity === undefined ? { cartId, sku, quantity } : { cartId, sku, quantity, maxQuantity },
    })),
  fc.record({ sku, quantity: fc.integer({ min: 0, max: 1200 }) }).map(({ sku, quantity }): CartCommand => ({
    type: 'ChangeItemQuantity',
    data: { cartId, sku, quantity },
  })),
  sku.map((sku): CartCommand => ({ type: 'RemoveItem', data: { cartId, sku } })),
  fc
    .record({
      fromCartId: fc.constantFrom('guest-1', 'guest-2'),
      items: fc.array(fc.record({ sku, quantity: fc.integer({ min: 1, max: 800 }) }), { maxLength: 4 }),
      sellable: fc.dictionary(sku, sellable),
    })
    .map((data): CartCommand => ({ type: 'MergeCart', data: { cartId, ...data } })),
  fc.constant<CartCommand>({
    type: 'CheckOutCart',
    data: { cartId, orderId: 'order-1', at: '2025-11-28T09:00:00Z' },
  }),
);

describe('cart properties, for any sequence of commands', () => {
  it('keeps every quantity a whole number above zero and at most the line maximum, and freezes at checkout', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40, size: 'max' }), (commands) => {
        let state: CartState = cartDecider.initialState();
        for (const next of commands) {
          const wasCheckedOut = state.status === 'checked_out';
          const result = cartDecider.decide(next, state);
          if (!isRight(result)) continue;
          if (wasCheckedOut) expect(result.right).toEqual([]);
          for (const event of result.right) {
            state = cartDecider.evolve(state, event);
            for (const quantity of Object.values(state.items)) {
              expect(Number.isInteger(quantity)).toBe(true);
              expect(quantity).toBeGreaterThan(0);
              expect(quantity).toBeLessThanOrEqual(maxQuantityPerLine);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
