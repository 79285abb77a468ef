import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../../src/domain/decider.ts';
import { expect } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { placeOrder, type CheckoutCart } from '../../src/commands/checkout.ts';
import { listedPrices } from '../../src/commands/listed-products.ts';
import type { CommandContext } from '../../src/commands/command-handler.ts';
import { streams } from '../../src/commands/index.ts';
import type { OrderState } from '../../src/domain/order/index.ts';
import type { Platform } from '../../src/platform.ts';

/** Shop-floor helpers for tests that drive the platform through its commands. */
export const adminContext = (): CommandContext => ({
  actor: { id: 'admin', role: 'admin' },
  correlationId: uuidv7(),
});

async function expectHandled(result: Promise<Either<DomainError, unknown>>) {
  const outcome = await result;
  if (isLeft(outcome)) throw new Error(`command refused: ${outcome.left.code} (${outcome.left.message})`);
}

export async function stockProduct(platform: Platform, sku: string, quantity: number, price = 1999) {
  await expectHandled(
    platform.commands.product.handle(
      streams.product(sku),
      {
        type: 'ListProduct',
        data: {
          sku,
          title: `Product ${sku}`,
          description: 'a test product',
          brand: 'Acme',
          category: 'test',
          attributes: {},
          price: { amount: price, currency: 'USD' },
          at: new Date().toISOString(),
        },
      },
      adminContext(),
    ),
  );
  if (quantity > 0)
    await expectHandled(
      platform.commands.inventory.handle(
        streams.inventory(sku),
        { type: 'ReceiveStock', data: { sku, quantity } },
        adminContext(),
      ),
    );
}

/** Places an order for `lines` as customer `customerId`, with a cart of exactly those lines. */
export async function checkout(
  platform: Platform,
  customerId: string,
  lines: { sku: string; quantity: number }[],
  paymentMethod = 'pm_card_visa',
  idempotencyKey = uuidv7(),
) {
  const cart: CheckoutCart = { cartId: `${customerId}-${idempotencyKey}`, items: lines };
  const customer = { actor: { id: customerId, role: 'customer' }, correlationId: uuidv7() };
  for (const { sku, quantity } of lines)
    await platform.commands.cart.handle(
      streams.cart(cart.cartId),
      { type: 'AddItem', data: { cartId: cart.cartId, sku, quantity } },
      customer,
    );
  const result = await placeOrder(
    { commands: platform.commands, currentCart: async () => cart, prices: listedPrices(platform.commands) },
    { customerId, idempotencyKey, paymentMethod, context: customer },
  );
  if (isLeft(result)) throw new Error(`checkout refused: ${result.left.code}`);
  return result.right.orderId;
}

export const orderState = async (platform: Platform, orderId: string): Promise<OrderState> =>
  (await platform.commands.order.load(streams.order(orderId))).state;

export async function settled(platform: Platform, orderId: string, timeout = 30_000) {
  await expect
    .poll(async () => (await orderState(platform, orderId)).status, { timeout, interval: 50 })
    .toMatch(/^(confirmed|cancelled)$/);
  return orderState(platform, orderId);
}

export const inventoryOf = async (platform: Platform, sku: string) =>
  (await platform.commands.inventory.load(streams.inventory(sku))).state;

export const paymentOf = async (platform: Platform, orderId: string) =>
  (await platform.commands.payment.load(streams.payment(orderId))).state;
