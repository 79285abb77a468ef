import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { cartFold, cartViewProjection, redisCartViews } from '../../src/cache/cart-views.ts';
import { inProcessStreamViews } from '../../src/cache/stream-views.ts';
import { streams } from '../../src/commands/index.ts';
import type { CartState } from '../../src/domain/cart/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { productBySku } from '../../src/projections/catalog/index.ts';
import { cartLines } from '../../src/projections/carts/current-cart.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testRedis } from './redis.ts';
import { waitUntil } from './wait.ts';
import { testListing } from '../support/catalog.ts';

const admin = { actor: { id: 'admin', role: 'admin' }, correlationId: 'cart-views-spec' };

describe.each([
  { store: 'redis', profile: 'postgres' },
  { store: 'in-process', profile: 'embedded' },
] as const)('the cart view ($store, $profile)', ({ store, profile }) => {
  const redis = store === 'redis' ? testRedis('cart-views') : undefined;
  let t: TestApp;
  let ada: { token: string; userId: string };
  let bob: { token: string; userId: string };
  /** Ada's cart after the sequence of commands, as the last command answered it. */
  let adasCart: unknown;

  const signUp = async () => {
    const user = await t.platform.users.register(
      `customer-${uuidv7()}@example.com`,
      'long enough pw',
      'customer',
    );
    return { token: t.app.issueToken(user), userId: user.userId };
  };
  const call = async (
    who: { token: string },
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) => {
    const response = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who.token}` },
      ...(payload === undefined ? {} : { payload }),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { cartId: string; items: { sku: string; quantity: number }[] };
  };
  const viewKey = (cartId: string) => `${redis!.prefix}cart:{cart-${cartId}}`;
  const fromStream = (cartId: string) => t.platform.commands.cart.load(streams.cart(cartId));
  const cartEvents = async (cartIds: readonly string[]) => {
    const events: RecordedEvent[] = [];
    for (const id of cartIds) events.push(...(await t.platform.store.readStream(streams.cart(id))));
    return events;
  };

  async function stock(sku: string, price: number, quantity: number) {
    await t.platform.commands.product.handle(streams.product(sku), testListing(sku, price), admin);
    await t.platform.commands.inventory.handle(
      streams.inventory(sku),
      { type: 'ReceiveStock', data: { sku, quantity } },
      admin,
    );
    await waitUntil(
      `${sku} is in the catalog`,
      async () =>
        (await productBySku(t.platform.db, sku, t.platform.readModels.productPages))?.available === quantity,
    );
  }

  beforeAll(async () => {
    t = await testApp(profile, redis?.env ?? {});
    [ada, bob] = [await signUp(), await signUp()];
    await stock('PEN-1', 199, 50);
    await stock('INK-1', 1_250, 3);
    await stock('PAD-1', 450, 10);
    await call(ada, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 3 });
    await call(ada, 'POST', '/cart/items', { sku: 'INK-1', quantity: 1 });
    await call(ada, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 2 });
    await call(ada, 'PUT', '/cart/items/INK-1', { quantity: 2 });
    await call(ada, 'DELETE', '/cart/items/PEN-1');
    adasCart = await call(ada, 'POST', '/cart/merge', {
      items: [
        { sku: 'PAD-1', quantity: 2 },
        { sku: 'PEN-1', quantity: 1 },
      ],
    });
  });
  afterAll(async () => {
    await t.close();
    await redis?.close();
  });

  it('answers GET /cart with the cart the last command answered, at once (read-your-writes)', async () => {
    expect(adasCart).toMatchObject({
      cartId: `${ada.userId}.1`,
      items: [
        { sku: 'INK-1', quantity: 2 },
        { sku: 'PAD-1', quantity: 2 },
        { sku: 'PEN-1', quantity: 1 },
      ],
    });
    expect(await call(ada, 'GET', '/cart')).toEqual(adasCart);
  });

  it('keeps a view that matches the cart stream after adds, changes, a removal and a merge', async () => {
    const cartId = `${ada.userId}.1`;
    const stream = await fromStream(cartId);
    expect(stream.version).toBe(6);
    await expect
      .poll(() => t.platform.readModels.cartState(streams.cart(cartId)), { timeout: 20_000 })
      .toEqual({
        state: stream.state,
        version: stream.version,
      });
    if (redis) {
      await expect.poll(() => redis.redis.hget(viewKey(cartId), 'version'), { timeout: 20_000 }).toBe('6');
      const view = await redis.redis.hgetall(viewKey(cartId));
      expect(view).toMatchObject({ cartId, status: 'open', version: '6' });
      expect(
        cartLines({ ...stream.state, items: JSON.parse(view.items!) as Record<string, number> }),
      ).toEqual([
        { sku: 'INK-1', quantity: 2 },
        { sku: 'PAD-1', quantity: 2 },
        { sku: 'PEN-1', quantity: 1 },
      ]);
    }
  });

  it('never shows one customer another customer’s cart', async () => {
    const bobs = await call(bob, 'POST', '/cart/items', { sku: 'PAD-1', quantity: 1 });
    expect(bobs).toMatchObject({ cartId: `${bob.userId}.1`, items: [{ sku: 'PAD-1', quantity: 1 }] });
    expect(await call(bob, 'GET', '/cart')).toEqual(bobs);
    expect(await call(ada, 'GET', '/cart')).toEqual(adasCart);
    if (redis) {
      await expect
        .poll(() => redis.redis.hget(viewKey(bob.userId + '.1'), 'version'), { timeout: 20_000 })
        .toBe('1');
      expect(JSON.parse((await redis.redis.hget(viewKey(bob.userId + '.1'), 'items'))!)).toEqual({
        'PAD-1': 1,
      });
      expect(await redis.redis.hget(viewKey(`${ada.userId}.1`), 'cartId')).toBe(`${ada.userId}.1`);
    }
  });

  it('caps a merge at what is sellable, from the stock counters once they are at the stream’s version', async () => {
    const dave = await signUp();
    const stream = await t.platform.commands.inventory.load(streams.inventory('INK-1'));
    await expect
      .poll(async () => (await t.platform.readModels.stockCounters([streams.inventory('INK-1')]))[0], {
        timeout: 20_000,
      })
      .toMatchObject({ available: 3, version: stream.version });
    const merged = await call(dave, 'POST', '/cart/merge', { items: [{ sku: 'INK-1', quantity: 9 }] });
    expect(merged.items).toEqual([
      {
        sku: 'INK-1',
        quantity: 3,
        unitPrice: { amount: 1250, currency: 'USD' },
        lineTotal: { amount: 3750, currency: 'USD' },
      },
    ]);
  });

  it('shows the next, empty cart right after a checkout closed the open one', async () => {
    const carol = await signUp();
    const open = await call(carol, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 2 });
    await t.platform.commands.cart.handle(
      streams.cart(open.cartId),
      {
        type: 'CheckOutCart',
        data: { cartId: open.cartId, orderId: `order-${uuidv7()}`, at: new Date().toISOString() },
      },
      { actor: { id: carol.userId, role: 'customer' }, correlationId: uuidv7() },
    );
    expect(await call(carol, 'GET', '/cart')).toEqual({
      cartId: `${carol.userId}.2`,
      items: [],
      total: { amount: 0, currency: 'USD' },
    });
  });

  it('changes nothing when cart events are delivered again', async () => {
    const cartIds = [`${ada.userId}.1`, `${bob.userId}.1`];
    const events = await cartEvents(cartIds);
    const views = redis
      ? redisCartViews({ redis: redis.redis, prefix: redis.prefix })
      : inProcessStreamViews<CartState>();
    const projection = cartViewProjection(views, t.platform.store);
    if (redis)
      for (const id of cartIds)
        await expect
          .poll(async () => Number(await redis.redis.hget(viewKey(id), 'version')), { timeout: 20_000 })
          .toBe((await fromStream(id)).version);
    else await projection.apply(events);
    const before = await views.read(cartIds.map((id) => streams.cart(id)));
    // These carts' keys only: the live projection may still be writing other tests' carts meanwhile.
    const theirs = async () =>
      Object.fromEntries(
        Object.entries(redis ? await redis.snapshot('cart') : {}).filter(([key]) =>
          cartIds.some((id) => key.includes(`{${streams.cart(id)}}`)),
        ),
      );
    const snapshot = await theirs();
    if (redis) expect(Object.keys(snapshot)).toHaveLength(cartIds.length);
    for (const size of [events.length, 1, 2]) {
      for (let i = 0; i < events.length; i += size) await projection.apply(events.slice(i, i + size));
      expect(await views.read(cartIds.map((id) => streams.cart(id)))).toEqual(before);
      expect(await theirs()).toEqual(snapshot);
    }
    expect(before).toEqual(
      await Promise.all(
        cartIds.map(async (id) => {
          const { state, version } = await fromStream(id);
          return { state: { ...state, mergedFrom: [...state.mergedFrom] }, version };
        }),
      ),
    );
    expect(cartFold.initialState().items).toEqual({});
  });

  if (redis)
    it('answers from the stream where the view is behind, and puts the view forward again', async () => {
      const cartId = `${ada.userId}.1`;
      await expect.poll(() => redis.redis.hget(viewKey(cartId), 'version'), { timeout: 20_000 }).toBe('6');
      // As if the projection had applied only the first event.
      await redis.redis.del(viewKey(cartId));
      await redis.redis.hset(viewKey(cartId), {
        version: '1',
        cartId,
        status: 'open',
        items: JSON.stringify({ 'PEN-1': 3 }),
        mergedFrom: '[]',
        orderId: '',
        checkedOutAt: '',
      });
      expect(await call(ada, 'GET', '/cart')).toEqual(adasCart);
      expect(await redis.redis.hget(viewKey(cartId), 'version')).toBe('6');
      expect(JSON.parse((await redis.redis.hget(viewKey(cartId), 'items'))!)).toEqual({
        'INK-1': 2,
        'PAD-1': 2,
        'PEN-1': 1,
      });
    });
});
