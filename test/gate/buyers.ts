import type { FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import type { OrderState } from '../../src/domain/order/index.ts';
import type { Platform } from '../../src/platform.ts';
import { call } from '../support/kept-alive.ts';
import { stockProduct } from '../support/shop.ts';

export type Buyer = Readonly<{ userId: string; authorization: string }>;

/**
 * `count` customers, each with `quantity` of `sku` in an open cart, signed in (a bearer token each).
 * The accounts are written in one statement with no password (a hash each would cost seconds, and
 * they never sign in with one) and the carts through the cart commands, many at a time.
 */
export async function buyers(
  app: FastifyInstance,
  platform: Platform,
  count: number,
  sku: string,
  quantity = 1,
): Promise<Buyer[]> {
  const users = Array.from({ length: count }, () => {
    const userId = uuidv7();
    return { userId, email: `buyer-${userId}@example.com` };
  });
  await platform.db.query(
    `INSERT INTO users (user_id, email, password_hash, role)
     SELECT id, email, 'no password', 'customer' FROM unnest($1::uuid[], $2::text[]) AS u(id, email)`,
    [users.map((u) => u.userId), users.map((u) => u.email)],
  );
  for (let from = 0; from < count; from += 500)
    await Promise.all(
      users.slice(from, from + 500).map(async ({ userId }) => {
        const cartId = `${userId}.1`;
        await platform.commands.cart.handle(
          streams.cart(cartId),
          { type: 'AddItem', data: { cartId, sku, quantity } },
          { actor: { id: userId, role: 'customer' }, correlationId: uuidv7() },
        );
      }),
    );
  return users.map(({ userId, email }) => ({
    userId,
    authorization: `Bearer ${app.issueToken({ userId, email, role: 'customer' })}`,
  }));
}

/** A product on sale with `units` in stock, and its gate switched on by an admin (or left on auto). */
export async function onSale(
  t: { app: FastifyInstance; platform: Platform },
  sku: string,
  units: number,
  gate?: 'on',
) {
  await stockProduct(t.platform, sku, units);
  if (gate) await t.platform.gate.switch(sku, gate, 'test-admin');
}

/** The gate of `sku` has counted the inventory stream up to its present version. */
export async function gateCounted(platform: Platform, sku: string): Promise<boolean> {
  const [view, version] = await Promise.all([
    platform.gate.of(sku),
    platform.store.streamVersion(streams.inventory(sku)),
  ]);
  return view.streamVersion === version;
}

export const orderOf = async (platform: Platform, orderId: string): Promise<OrderState> =>
  (await platform.commands.order.load(streams.order(orderId))).state;

/** How many events of `type` the log holds. */
export async function eventsOfType(platform: Platform, type: string): Promise<number> {
  const [row] = await platform.db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM es_events WHERE type = $1`,
    [type],
  );
  return Number(row?.n ?? 0);
}

export type { Answer } from '../support/kept-alive.ts';
export { inParallel } from '../support/kept-alive.ts';

/** POST /checkout over real HTTP (to a platform process of its own). */
export const postCheckout = (base: string, buyer: Buyer, key: string, paymentMethod = 'pm_card_visa') =>
  call(
    `${base}/checkout`,
    'POST',
    { paymentMethod },
    { authorization: buyer.authorization, 'idempotency-key': key },
  );
