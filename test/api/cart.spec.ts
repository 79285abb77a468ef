import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import type { Role } from '../../src/identity/users.ts';
import type { Platform } from '../../src/platform.ts';
import { cartStreamId, CustomerCarts } from '../../src/projections/carts/current-cart.ts';
import { productBySku } from '../../src/projections/catalog/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testListing } from '../support/catalog.ts';

/** The open cart as checkout finds it: from the cart streams. */
const currentCart = (platform: Platform, customerId: string) =>
  new CustomerCarts(platform.db).current(customerId, (streamId) => platform.commands.cart.load(streamId));

const admin = { actor: { id: 'admin', role: 'admin' }, correlationId: 'cart-spec' };

const expectProblem = (response: LightMyRequestResponse, status: number) => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
};

describe.each(['embedded', 'postgres'] as const)('the cart over HTTP (%s)', (profile) => {
  let t: TestApp;
  let ada: { token: string; userId: string };
  let bob: { token: string; userId: string };

  const signUp = async (role: Role = 'customer') => {
    const user = await t.platform.users.register(`${role}-${uuidv7()}@example.com`, 'long enough pw', role);
    return { token: t.app.issueToken(user), userId: user.userId };
  };
  const call = (
    who: { token: string },
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who.token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const eventCount = async () =>
    (await t.platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM es_events`))[0]!.n;

  /** Lists a product with stock straight through the commands, and waits until the catalog shows it. */
  async function stock(sku: string, price: number, quantity: number) {
    const { product, inventory } = t.platform.commands;
    await product.handle(streams.product(sku), testListing(sku, price), admin);
    if (quantity > 0)
      await inventory.handle(
        streams.inventory(sku),
        { type: 'ReceiveStock', data: { sku, quantity } },
        admin,
      );
    for (
      const deadline = Date.now() + 20_000;
      (await productBySku(t.platform.db, sku, t.platform.readModels.productPages))?.available !== quantity;
    ) {
      if (Date.now() > deadline) throw new Error(`${sku} never reached the catalog`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    t = await testApp(profile);
    [ada, bob] = [await signUp(), await signUp()];
    await stock('PEN-1', 199, 50);
    await stock('INK-1', 1_250, 3);
    await stock('PAD-1', 450, 10);
    await stock('SOLD-OUT', 999, 0);
  });
  afterAll(() => t.close());

  it('starts empty, and prices every line from the catalog with integer money', async () => {
    const empty = await call(ada, 'GET', '/cart');
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({
      cartId: `${ada.userId}.1`,
      items: [],
      total: { amount: 0, currency: 'USD' },
    });

    const added = await call(ada, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 3 });
    expect(added.statusCode, added.body).toBe(200);
    await call(ada, 'POST', '/cart/items', { sku: 'INK-1', quantity: 1 });
    const again = await call(ada, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 2 });
    expect(again.json()).toEqual({
      cartId: `${ada.userId}.1`,
      items: [
        {
          sku: 'INK-1',
          quantity: 1,
          unitPrice: { amount: 1250, currency: 'USD' },
          lineTotal: { amount: 1250, currency: 'USD' },
        },
        {
          sku: 'PEN-1',
          quantity: 5,
          unitPrice: { amount: 199, currency: 'USD' },
          lineTotal: { amount: 995, currency: 'USD' },
        },
      ],
      total: { amount: 2245, currency: 'USD' },
    });
    expect((await call(ada, 'GET', '/cart')).json()).toEqual(again.json());
  });

  it('changes and removes lines, never holding more than is sellable', async () => {
    const before = await eventCount();
    const tooMany = await call(ada, 'POST', '/cart/items', { sku: 'INK-1', quantity: 3 });
    expectProblem(tooMany, 409);
    expect(tooMany.json()).toMatchObject({ code: 'QuantityUnavailable', details: { available: 3 } });
    expectProblem(await call(ada, 'PUT', '/cart/items/INK-1', { quantity: 4 }), 409);
    expectProblem(await call(ada, 'POST', '/cart/items', { sku: 'SOLD-OUT', quantity: 1 }), 409);
    expectProblem(await call(ada, 'PUT', '/cart/items/PAD-1', { quantity: 1 }), 404);
    expect(await eventCount()).toBe(before);

    const changed = await call(ada, 'PUT', '/cart/items/INK-1', { quantity: 3 });
    expect(changed.json().items).toContainEqual({
      sku: 'INK-1',
      quantity: 3,
      unitPrice: { amount: 1250, currency: 'USD' },
      lineTotal: { amount: 3750, currency: 'USD' },
    });
    const removed = await call(ada, 'DELETE', '/cart/items/PEN-1');
    expect(removed.json().items.map((i: { sku: string }) => i.sku)).toEqual(['INK-1']);
    expect(removed.json().total).toEqual({ amount: 3750, currency: 'USD' });
    const afterRemoval = await eventCount();
    expect((await call(ada, 'DELETE', '/cart/items/PEN-1')).statusCode).toBe(200);
    expect(await eventCount()).toBe(afterRemoval);
  });

  it('merges a guest cart: quantities add up, capped at what is sellable, unknown SKUs dropped', async () => {
    const customer = await signUp();
    await call(customer, 'POST', '/cart/items', { sku: 'PAD-1', quantity: 4 });
    const guest = {
      items: [
        { sku: 'PAD-1', quantity: 9 },
        { sku: 'PEN-1', quantity: 2 },
        { sku: 'PEN-1', quantity: 1 },
        { sku: 'NO-SUCH-SKU', quantity: 1 },
        { sku: 'not even a sku!', quantity: 1 },
        { sku: 'SOLD-OUT', quantity: 2 },
      ],
    };
    const merged = await call(customer, 'POST', '/cart/merge', guest);
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json().items).toEqual([
      {
        sku: 'PAD-1',
        quantity: 10,
        unitPrice: { amount: 450, currency: 'USD' },
        lineTotal: { amount: 4500, currency: 'USD' },
      },
      {
        sku: 'PEN-1',
        quantity: 3,
        unitPrice: { amount: 199, currency: 'USD' },
        lineTotal: { amount: 597, currency: 'USD' },
      },
    ]);
    expect(merged.json().total).toEqual({ amount: 5097, currency: 'USD' });
    const before = await eventCount();
    const repeated = await call(customer, 'POST', '/cart/merge', guest);
    expect(repeated.json()).toEqual(merged.json());
    expect(await eventCount()).toBe(before);
  });

  it('takes a product listed and stocked a moment ago at once, before the catalog shows it', async () => {
    const customer = await signUp();
    const { product, inventory } = t.platform.commands;
    const at = new Date().toISOString();
    await product.handle(
      streams.product('FRESH-1'),
      {
        type: 'ListProduct',
        data: {
          sku: 'FRESH-1',
          title: 'Fresh',
          description: '',
          brand: 'Acme',
          category: 'Test',
          attributes: {},
          price: { amount: 300, currency: 'USD' },
          at,
        },
      },
      admin,
    );
    await inventory.handle(
      streams.inventory('FRESH-1'),
      { type: 'ReceiveStock', data: { sku: 'FRESH-1', quantity: 2 } },
      admin,
    );
    const added = await call(customer, 'POST', '/cart/items', { sku: 'FRESH-1', quantity: 2 });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json().total).toEqual({ amount: 600, currency: 'USD' });
    expectProblem(await call(customer, 'POST', '/cart/items', { sku: 'FRESH-1', quantity: 1 }), 409);
  });

  it('keeps every customer to their own cart', async () => {
    const bobs = await call(bob, 'GET', '/cart');
    expect(bobs.json()).toEqual({
      cartId: `${bob.userId}.1`,
      items: [],
      total: { amount: 0, currency: 'USD' },
    });
    await call(bob, 'POST', '/cart/items', { sku: 'PAD-1', quantity: 1 });
    const adas = (await call(ada, 'GET', '/cart')).json();
    expect(adas.cartId).not.toBe(`${bob.userId}.1`);
    expect(adas.items.map((i: { sku: string }) => i.sku)).toEqual(['INK-1']);
    await call(bob, 'DELETE', '/cart/items/INK-1');
    expect((await call(ada, 'GET', '/cart')).json()).toEqual(adas);
  });

  it('starts a new cart after checkout, and tells the checkout code which cart is current', async () => {
    const customer = await signUp();
    await call(customer, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 2 });
    const open = await currentCart(t.platform, customer.userId);
    expect(open).toEqual({
      cartId: `${customer.userId}.1`,
      items: [{ sku: 'PEN-1', quantity: 2 }],
      version: 1,
    });
    await t.platform.commands.cart.handle(
      cartStreamId(open.cartId),
      {
        type: 'CheckOutCart',
        data: { cartId: open.cartId, orderId: 'order-1', at: new Date().toISOString() },
      },
      { actor: { id: customer.userId, role: 'customer' }, correlationId: uuidv7() },
    );
    const next = await call(customer, 'POST', '/cart/items', { sku: 'PAD-1', quantity: 1 });
    expect(next.json().cartId).toBe(`${customer.userId}.2`);
    expect(next.json().items.map((i: { sku: string }) => i.sku)).toEqual(['PAD-1']);
    expect(await currentCart(t.platform, customer.userId)).toMatchObject({
      cartId: `${customer.userId}.2`,
      version: 1,
    });
    const [row] = await t.platform.db.query(`SELECT cart_number FROM customer_carts WHERE customer_id = $1`, [
      customer.userId,
    ]);
    expect(row).toEqual({ cart_number: 2 });
  });

  it('is for signed-in customers only', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/cart' }), 401);
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/cart/items', payload: { sku: 'PEN-1', quantity: 1 } }),
      401,
    );
    const anAdmin = await signUp('admin');
    expectProblem(await call(anAdmin, 'GET', '/cart'), 403);
    expectProblem(await call(anAdmin, 'POST', '/cart/merge', { items: [] }), 403);
  });

  it('shows no price for a line whose product was delisted, and leaves it out of the total', async () => {
    const customer = await signUp();
    await stock('DELISTED-1', 500, 5);
    await call(customer, 'POST', '/cart/items', { sku: 'DELISTED-1', quantity: 2 });
    await call(customer, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 1 });
    await t.platform.commands.product.handle(
      streams.product('DELISTED-1'),
      { type: 'DelistProduct', data: { sku: 'DELISTED-1', at: new Date().toISOString() } },
      admin,
    );
    await expect
      .poll(async () => (await call(customer, 'GET', '/cart')).json().items[0].unitPrice, { timeout: 20_000 })
      .toBeNull();
    const cart = (await call(customer, 'GET', '/cart')).json();
    expect(cart.items[0]).toEqual({ sku: 'DELISTED-1', quantity: 2, unitPrice: null, lineTotal: null });
    expect(cart.total).toEqual({ amount: 199, currency: 'USD' });
    expectProblem(await call(customer, 'PUT', '/cart/items/DELISTED-1', { quantity: 3 }), 409);
    expect((await call(customer, 'PUT', '/cart/items/DELISTED-1', { quantity: 1 })).statusCode).toBe(200);
  });

  describe('refuses bad input with a 4xx problem and records nothing', () => {
    it.each([
      ['malformed JSON', 'POST', '/cart/items', '{"sku": '],
      ['a zero quantity', 'POST', '/cart/items', { sku: 'PEN-1', quantity: 0 }],
      ['a negative quantity', 'POST', '/cart/items', { sku: 'PEN-1', quantity: -1 }],
      ['a fractional quantity', 'POST', '/cart/items', { sku: 'PEN-1', quantity: 0.5 }],
      ['a huge quantity', 'POST', '/cart/items', { sku: 'PEN-1', quantity: 1e9 }],
      ['a quantity as a string', 'POST', '/cart/items', { sku: 'PEN-1', quantity: '1' }],
      ['an unknown field', 'POST', '/cart/items', { sku: 'PEN-1', quantity: 1, cartId: 'someone-else' }],
      ['a missing SKU', 'POST', '/cart/items', { quantity: 1 }],
      ['an unknown SKU', 'POST', '/cart/items', { sku: 'NOPE-9', quantity: 1 }],
      ['a malformed SKU', 'POST', '/cart/items', { sku: 'a b', quantity: 1 }],
      ['an array body', 'POST', '/cart/items', [{ sku: 'PEN-1', quantity: 1 }]],
      ['an oversize body', 'POST', '/cart/items', { sku: 'PEN-1', quantity: 1, pad: 'x'.repeat(70_000) }],
      ['a zero new quantity', 'PUT', '/cart/items/PEN-1', { quantity: 0 }],
      ['a huge new quantity', 'PUT', '/cart/items/PEN-1', { quantity: 1001 }],
      ['an unknown field on change', 'PUT', '/cart/items/PEN-1', { quantity: 1, sku: 'INK-1' }],
      ['a malformed SKU in the path', 'PUT', '/cart/items/a%20b', { quantity: 1 }],
      ['a line not in the cart', 'PUT', '/cart/items/PAD-1', { quantity: 1 }],
      ['a malformed SKU to remove', 'DELETE', '/cart/items/%20', undefined],
      ['merge items that are not a list', 'POST', '/cart/merge', { items: { sku: 'PEN-1', quantity: 1 } }],
      ['a merge with a zero quantity', 'POST', '/cart/merge', { items: [{ sku: 'PEN-1', quantity: 0 }] }],
      [
        'a merge with a NUL character in a SKU',
        'POST',
        '/cart/merge',
        { items: [{ sku: 'PEN\u0000', quantity: 1 }] },
      ],
      ['a merge with an unknown field', 'POST', '/cart/merge', { items: [], guestId: 'x' }],
      [
        'a merge of more than 100 lines',
        'POST',
        '/cart/merge',
        { items: Array.from({ length: 101 }, (_, i) => ({ sku: `PEN-${i}`, quantity: 1 })) },
      ],
    ])('%s', async (_name, method, url, payload) => {
      const customer = await signUp();
      await call(customer, 'POST', '/cart/items', { sku: 'PEN-1', quantity: 1 });
      const before = await eventCount();
      const response = await t.app.inject({
        method: method as 'POST' | 'PUT' | 'DELETE',
        url,
        headers: {
          authorization: `Bearer ${customer.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
      expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await eventCount()).toBe(before);
      expect((await call(customer, 'GET', '/cart')).json().items).toEqual([
        {
          sku: 'PEN-1',
          quantity: 1,
          unitPrice: { amount: 199, currency: 'USD' },
          lineTotal: { amount: 199, currency: 'USD' },
        },
      ]);
    });
  });
});
