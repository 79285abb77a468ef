import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform } from '../../src/platform.ts';
import { logShowsAllCommitted } from '../integration/support/wait.ts';
import { freshPostgres } from '../support/databases.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { openApiPath, registeredRoutes } from '../support/routes.ts';
import { stockProduct } from '../support/shop.ts';

// What belongs to a customer stays theirs over HTTP: their own pending order they may cancel (and no
// one else may), and their cart no one else can read or change. Both profiles.

type Headers = Record<string, string>;
type Cart = { cartId: string; items: { sku: string; quantity: number }[] };

/**
 * The platform as an API process runs it (ROLE=api, src/main.ts): HTTP only, no checkout saga, so an
 * order placed here stays pending until someone cancels it. Otherwise as testApp opens it.
 */
async function apiProcess(profile: 'embedded' | 'postgres'): Promise<TestApp> {
  const database = profile === 'postgres' ? await freshPostgres(32, { migrated: false }) : undefined;
  const platform = await openPlatform(
    loadConfig({
      ROLE: 'api',
      DATA_DIR: 'memory://',
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
      PASSWORD_HASH_COST: '10',
      RATE_LIMITS: 'off',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(database ? { DATABASE_URL: database.url } : {}),
    }),
  );
  const app = await buildServer(platform);
  await app.ready();
  return {
    app,
    platform,
    async close() {
      await app.close();
      await platform.close();
      await database?.drop();
    },
  };
}

describe.each(['embedded', 'postgres'] as const)('ownership over HTTP (%s)', (profile) => {
  let t: TestApp;
  let keys = 0;
  let requests = 0;
  let api: TestApp;
  beforeAll(async () => {
    [t, api] = await Promise.all([testApp(profile), apiProcess(profile)]);
    for (const { platform } of [t, api]) {
      await stockProduct(platform, 'OWN-PEN', 50, 199);
      await stockProduct(platform, 'OWN-INK', 50, 1_250);
      await stockProduct(platform, 'OWN-PAD', 50, 450);
    }
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });

  /** A request, tagged with a correlation id of its own (returned) so its events can be found in the log. */
  const callOn = async (
    on: TestApp,
    headers: Headers,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) => {
    const correlationId = `ownership-${profile}-${++requests}`;
    const response = await on.app.inject({
      method,
      url,
      headers: { ...headers, 'x-correlation-id': correlationId },
      ...(payload === undefined ? {} : { payload }),
    });
    return Object.assign(response, { correlationId });
  };
  const call = (...args: [Headers, 'GET' | 'POST' | 'PUT' | 'DELETE', string, object?]) => callOn(t, ...args);
  const cartOf = async (headers: Headers) => {
    const response = await call(headers, 'GET', '/cart');
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Cart>();
  };
  /** The cart's lines, by SKU. */
  const lines = (cart: Cart) =>
    cart.items.map(({ sku, quantity }) => ({ sku, quantity })).sort((a, b) => a.sku.localeCompare(b.sku));
  const eventsOf = async (correlationIds: string[], on = t) => {
    if (profile === 'postgres') await logShowsAllCommitted(on.platform.db);
    const { events } = await on.platform.store.readAll({ maxCount: 1_000_000 });
    return events.filter((e) => correlationIds.includes(e.metadata.correlationId));
  };

  it('lets a customer cancel their own pending order, and no one else', async () => {
    const owner = await signIn(api.app, api.platform, `owner-${profile}@example.com`);
    const other = await signIn(api.app, api.platform, `other-${profile}@example.com`);
    expect(
      (await callOn(api, owner.headers, 'POST', '/cart/items', { sku: 'OWN-PEN', quantity: 1 })).statusCode,
    ).toBe(200);
    const placed = await callOn(
      api,
      { ...owner.headers, 'idempotency-key': `ownership-${profile}-${++keys}` },
      'POST',
      '/checkout',
      { paymentMethod: 'pm_card_visa' },
    );
    expect(placed.statusCode, placed.body).toBe(202);
    const { orderId } = placed.json<{ orderId: string }>();
    const status = async () =>
      (await callOn(api, owner.headers, 'GET', `/orders/${orderId}`)).json<{ status: string }>().status;
    expect(await status()).toBe('pending');

    const version = await api.platform.store.streamVersion(streams.order(orderId));
    const refused = await callOn(api, other.headers, 'POST', `/orders/${orderId}/cancel`);
    expect(refused.statusCode, refused.body).toBe(404);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(await status()).toBe('pending');
    expect(await eventsOf([refused.correlationId], api)).toEqual([]);

    const cancelled = await callOn(api, owner.headers, 'POST', `/orders/${orderId}/cancel`);
    expect([200, 202], cancelled.body).toContain(cancelled.statusCode);
    expect(cancelled.json()).toMatchObject({ orderId, status: 'cancelled' });
    expect(await status()).toBe('cancelled');
    const appended = await api.platform.store.readStream(streams.order(orderId), {
      fromVersion: version + 1,
    });
    expect(appended[0]).toMatchObject({
      type: 'OrderCancelled',
      metadata: { actor: { id: owner.userId, role: 'customer' }, correlationId: cancelled.correlationId },
    });
  });

  it("keeps each customer to their own cart: another's is never shown, changed or reachable by id", async () => {
    const ada = await signIn(t.app, t.platform, `ada-cart-${profile}@example.com`);
    const bob = await signIn(t.app, t.platform, `bob-cart-${profile}@example.com`);
    for (const line of [
      { sku: 'OWN-PEN', quantity: 2 },
      { sku: 'OWN-INK', quantity: 1 },
    ])
      expect((await call(ada.headers, 'POST', '/cart/items', line)).statusCode).toBe(200);
    const adas = await cartOf(ada.headers);
    expect(lines(adas)).toEqual([
      { sku: 'OWN-INK', quantity: 1 },
      { sku: 'OWN-PEN', quantity: 2 },
    ]);
    const adasStream = streams.cart(adas.cartId);
    const adasVersion = await t.platform.store.streamVersion(adasStream);
    expect(adasVersion).toBeGreaterThan(0);

    // Bob's own cart, whatever cart id he names: a query parameter is not read, a body field refused.
    const bobs = await call(bob.headers, 'GET', `/cart?cartId=${encodeURIComponent(adas.cartId)}`);
    expect(bobs.json<Cart>().cartId).not.toBe(adas.cartId);
    expect(lines(bobs.json<Cart>())).toEqual([]);
    const byId = await call(bob.headers, 'POST', '/cart/items', {
      sku: 'OWN-INK',
      quantity: 1,
      cartId: adas.cartId,
    });
    expect(byId.statusCode, byId.body).toBe(400);

    // Every change Bob makes lands in his cart, never in Ada's.
    const bobsRequests: (LightMyRequestResponse & { correlationId: string })[] = [byId];
    const bobCalls = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
      const response = await call(bob.headers, method, url, payload);
      bobsRequests.push(response);
      return response;
    };
    const added = await bobCalls('POST', '/cart/items', { sku: 'OWN-PEN', quantity: 1 });
    expect(lines(added.json<Cart>())).toEqual([{ sku: 'OWN-PEN', quantity: 1 }]);
    // A line only Ada's cart has is not in Bob's: changing it is not found, removing it changes nothing.
    const changeAdas = await bobCalls('PUT', '/cart/items/OWN-INK', { quantity: 3 });
    expect(changeAdas.statusCode, changeAdas.body).toBe(404);
    const removeAdas = await bobCalls('DELETE', '/cart/items/OWN-INK');
    expect(removeAdas.statusCode, removeAdas.body).toBe(200);
    expect(lines(removeAdas.json<Cart>())).toEqual([{ sku: 'OWN-PEN', quantity: 1 }]);
    const changed = await bobCalls('PUT', '/cart/items/OWN-PEN', { quantity: 4 });
    expect(lines(changed.json<Cart>())).toEqual([{ sku: 'OWN-PEN', quantity: 4 }]);
    const merged = await bobCalls('POST', '/cart/merge', { items: [{ sku: 'OWN-PAD', quantity: 2 }] });
    expect(lines(merged.json<Cart>())).toEqual([
      { sku: 'OWN-PAD', quantity: 2 },
      { sku: 'OWN-PEN', quantity: 4 },
    ]);
    const removed = await bobCalls('DELETE', '/cart/items/OWN-PEN');
    expect(lines(removed.json<Cart>())).toEqual([{ sku: 'OWN-PAD', quantity: 2 }]);
    const bobsNow = await cartOf(bob.headers);
    expect(bobsNow.cartId).not.toBe(adas.cartId);
    expect(lines(bobsNow)).toEqual([{ sku: 'OWN-PAD', quantity: 2 }]);

    // Ada's cart is as she left it, to the event.
    expect(await cartOf(ada.headers)).toEqual(adas);
    expect(await t.platform.store.streamVersion(adasStream)).toBe(adasVersion);
    const bobsEvents = await eventsOf(bobsRequests.map((r) => r.correlationId));
    expect(bobsEvents.length).toBeGreaterThanOrEqual(4);
    expect([...new Set(bobsEvents.map((e) => e.streamId))]).toEqual([streams.cart(bobsNow.cartId)]);
  });

  it('has no route that takes a cart id from the client', async () => {
    const cartish = /cart/i;
    const routes = registeredRoutes(t.app);
    expect(routes.some((r) => r.url.startsWith('/cart'))).toBe(true);
    const params = routes.flatMap((r) =>
      (r.url.match(/:\w+/g) ?? []).map((p) => `${r.method} ${r.url} ${p}`),
    );
    expect(params.length).toBeGreaterThan(0);
    expect(params.filter((p) => cartish.test(p.split(' ')[2]!))).toEqual([]);

    // Nor in a query, a header or a body, as the routes document them.
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string }[]; requestBody?: { content: Record<string, { schema: unknown }> } }
        >
      >;
    }>();
    const names = (schema: unknown): string[] => {
      if (typeof schema !== 'object' || schema === null) return [];
      return Object.entries(schema).flatMap(([key, value]) => [
        ...(key === 'properties' && typeof value === 'object' && value ? Object.keys(value) : []),
        ...names(value),
      ]);
    };
    const inputs: string[] = [];
    for (const { method, url } of routes) {
      const operation = document.paths[openApiPath(url)]?.[method.toLowerCase()];
      for (const parameter of operation?.parameters ?? []) inputs.push(`${method} ${url} ${parameter.name}`);
      for (const { schema } of Object.values(operation?.requestBody?.content ?? {}))
        for (const name of names(schema)) inputs.push(`${method} ${url} body ${name}`);
    }
    expect(inputs).toContain('POST /cart/items body sku');
    expect(inputs.filter((input) => cartish.test(input.split(' ').at(-1)!))).toEqual([]);
  });
});
