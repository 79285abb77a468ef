import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { stockProduct } from '../support/shop.ts';

type Route = { method: string; path: string };

const BAD_BODIES: [string, string][] = [
  ['malformed JSON', '{"quantity": '],
  ['an array', '[1, 2, 3]'],
  ['a number', '42'],
  [
    'wrong types',
    '{"sku": 7, "quantity": "many", "delta": [], "price": "free", "items": {}, "paymentMethod": 1}',
  ],
  [
    'negative numbers',
    '{"sku": "BAD-1", "quantity": -1, "delta": -99999999, "items": [{"sku": "BAD-1", "quantity": -5}]}',
  ],
  [
    'zero quantities',
    '{"sku": "BAD-1", "quantity": 0, "delta": 0, "items": [{"sku": "BAD-1", "quantity": 0}]}',
  ],
  [
    'huge numbers',
    '{"sku": "BAD-1", "quantity": 1e300, "delta": 9007199254740993, "items": [{"sku": "BAD-1", "quantity": 1e12}]}',
  ],
  ['unknown fields only', '{"hello": "world"}'],
  ['a body over the size limit', JSON.stringify({ sku: 'BAD-1', quantity: 1, padding: 'x'.repeat(200_000) })],
];

/**
 * Every route that changes state, called with every kind of bad body by a customer and by an admin:
 * each answer is a 4xx problem document, and not one event is appended.
 */
describe('bad input on every route', () => {
  let t: TestApp;
  let routes: Route[];
  let callers: Record<string, Record<string, string>>;
  beforeAll(async () => {
    t = await testApp('embedded');
    await stockProduct(t.platform, 'BAD-1', 5);
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<
      string,
      object
    >;
    routes = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    callers = {
      customer: (await signIn(t.app, t.platform, 'bad-customer@example.com')).headers,
      admin: (await signIn(t.app, t.platform, 'bad-admin@example.com', 'admin')).headers,
    };
  });
  afterAll(() => t.close());

  const logLength = async () => (await t.platform.store.readAll({ maxCount: 100_000 })).events.length;
  const concrete = (path: string) =>
    path.replace(/\{orderId\}/g, '00000000-0000-4000-8000-000000000000').replace(/\{\w+\}/g, 'BAD-1');

  it('finds the state-changing routes to try', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /checkout', 'POST /auth/register', 'POST /webhooks/stripe']),
    );
  });

  it.each(BAD_BODIES)('answers %s with a 4xx problem and appends nothing', async (_name, payload) => {
    const before = await logLength();
    for (const route of routes)
      for (const [who, headers] of Object.entries(callers)) {
        const response = await t.app.inject({
          method: route.method as 'POST',
          url: concrete(route.path),
          payload: route.method === 'DELETE' ? undefined : payload,
          headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'bad-input-key-1' },
        });
        const where = `${who} ${route.method} ${route.path} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
        if (route.method === 'DELETE') {
          expect(response.statusCode, where).toBeLessThan(500);
          continue;
        }
        expect(response.statusCode, where).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, where).toBeLessThan(500);
        expect(response.headers['content-type'], where).toContain('application/problem+json');
      }
    expect(await logLength()).toBe(before);
  });

  it('answers bad query strings with 400, never 5xx', async () => {
    for (const url of [
      '/products?page=-1',
      '/products?pageSize=abc',
      '/products?minPrice=cheap',
      '/orders?page=0',
    ]) {
      const response = await t.app.inject({ method: 'GET', url, headers: callers.customer });
      expect(response.statusCode, url).toBe(400);
    }
  });
});
