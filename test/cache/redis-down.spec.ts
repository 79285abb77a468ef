import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { waitUntil } from './wait.ts';

const admin = { actor: { id: 'admin', role: 'admin' }, correlationId: 'redis-down-spec' };

/** Nothing listens on port 1: every Redis command fails, as when the server is down. */
describe('with Redis unreachable', () => {
  let t: TestApp;
  let customer: { token: string };
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${customer.token}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    t = await testApp('embedded', { REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: 'down:' });
    const user = await t.platform.users.register(
      `customer-${uuidv7()}@example.com`,
      'long enough pw',
      'customer',
    );
    customer = { token: t.app.issueToken(user) };
    const at = new Date().toISOString();
    await t.platform.commands.product.handle(
      streams.product('MUG-1'),
      {
        type: 'ListProduct',
        data: {
          sku: 'MUG-1',
          title: 'Mug',
          description: '',
          brand: 'Acme',
          category: 'Kitchen',
          attributes: {},
          price: { amount: 800, currency: 'USD' },
          at,
        },
      },
      admin,
    );
    await t.platform.commands.inventory.handle(
      streams.inventory('MUG-1'),
      { type: 'ReceiveStock', data: { sku: 'MUG-1', quantity: 2 } },
      admin,
    );
    await waitUntil('MUG-1 is in the catalog', async () => {
      const [row] = await t.platform.db.query(`SELECT 1 FROM product_availability WHERE sku = 'MUG-1'`);
      return row !== undefined;
    });
  });
  afterAll(() => t.close());

  it('still serves product pages and carts from the database and the streams', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/products/MUG-1' });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json()).toMatchObject({ sku: 'MUG-1', available: 2 });
    const added = await call('POST', '/cart/items', { sku: 'MUG-1', quantity: 2 });
    expect(added.statusCode, added.body).toBe(200);
    const cart = await call('GET', '/cart');
    expect(cart.statusCode, cart.body).toBe(200);
    expect(cart.json()).toEqual(added.json());
    expect((await call('POST', '/cart/items', { sku: 'MUG-1', quantity: 1 })).statusCode).toBe(409);
  });

  it('says so in /ready', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.redis).not.toBe('ok');
  });
});
