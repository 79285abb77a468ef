import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { openApiPath, registeredRoutes } from '../support/routes.ts';
import { checkout, orderState, paymentOf, stockProduct } from '../support/shop.ts';
import { waitUntil } from '../cache/wait.ts';
import { logShowsAllCommitted } from '../integration/support/wait.ts';

// Every route the server registers, called with malformed input by the caller it is for (an admin on
// admin routes, the order's owner on order routes), on data where a well-formed request would act: a
// real order in the state the route changes, a cart with items in it. Each answer must be the
// validation answer (400 naming the field at fault; the JSON parser's 400, 413 for a body over the
// limit), and not one of these requests may append an event, on either profile.

type Who = 'anonymous' | 'owner' | 'admin' | 'auditor';
type Headers = Record<string, string>;

/** What the sweep works on: ids of real things, made in beforeAll. */
type World = Readonly<{
  confirmed: string;
  shipping: string;
  shipmentId: string;
  delivered: string;
  returnId: string;
  otherUserId: string;
  /** Another customer's order held for review by a fraud rule (a new account's large first order). */
  held: string;
}>;

type Case = Readonly<{
  as: Who;
  /** Well-formed values of the path's parameters, and one malformed value for each. */
  params?: (w: World) => Record<string, string>;
  badParams?: Record<string, string>;
  /** A well-formed query sent along (the parts of it not being broken), and one malformed value per parameter. */
  query?: Record<string, string>;
  badQuery?: Record<string, string>;
  /** Well-formed headers, and one malformed value for each. */
  headers?: Headers;
  badHeaders?: Headers;
  /** A well-formed body: every value in it is replaced in turn by one of another type. */
  body?: (w: World) => Record<string, unknown>;
  /** POST /webhooks/stripe: its input is checked by the signature over the raw body. */
  signed?: true;
}>;

const SKU = 'BAD-1';
const IN_CART = 'BAD-2';
const NOT_A_UUID = 'not-a-uuid';
const NOT_A_SKU = 'not a sku!';
const NOT_A_TIME = 'yesterday';
const TOO_LONG = (n: number) => 'x'.repeat(n + 1);
const KEY = { 'idempotency-key': 'bad-input-sweep-key' };
const BAD_KEY = { 'idempotency-key': 'bad key!' };
const order = (orderId: keyof World) => (w: World) => ({ orderId: w[orderId] });

/** Every route that takes input, by method and path as Fastify registers it. */
const CASES: Readonly<Record<string, Case>> = {
  'POST /auth/register': {
    as: 'anonymous',
    body: () => ({ email: 'new-user@example.com', password: 'a long enough password 1!' }),
  },
  'POST /auth/login': {
    as: 'anonymous',
    body: () => ({ email: 'owner@example.com', password: 'a long test password' }),
  },
  'POST /auth/refresh': { as: 'anonymous', body: () => ({ refreshToken: 'some-refresh-token' }) },
  'POST /auth/logout': { as: 'owner', body: () => ({ refreshToken: 'some-refresh-token' }) },
  'POST /admin/users/:userId/disable': {
    as: 'admin',
    params: (w) => ({ userId: w.otherUserId }),
    badParams: { userId: NOT_A_UUID },
  },
  'PUT /admin/products/:sku': {
    as: 'admin',
    params: () => ({ sku: SKU }),
    badParams: { sku: NOT_A_SKU },
    body: () => ({
      title: 'Renamed',
      description: 'changed',
      brand: 'Acme',
      category: 'Test',
      attributes: {},
      price: { amount: 1, currency: 'USD' },
    }),
  },
  'POST /admin/inventory/:sku/receive': {
    as: 'admin',
    params: () => ({ sku: SKU }),
    badParams: { sku: NOT_A_SKU },
    body: () => ({ quantity: 5 }),
  },
  'POST /admin/inventory/:sku/adjust': {
    as: 'admin',
    params: () => ({ sku: SKU }),
    badParams: { sku: NOT_A_SKU },
    body: () => ({ delta: -5, reason: 'counted' }),
  },
  'POST /admin/projections/:name/rebuild': {
    as: 'admin',
    params: () => ({ name: 'order-history' }),
    badParams: { name: TOO_LONG(100) },
  },
  'GET /admin/gate/:sku': { as: 'admin', params: () => ({ sku: SKU }), badParams: { sku: TOO_LONG(200) } },
  'PUT /admin/gate/:sku': {
    as: 'admin',
    params: () => ({ sku: SKU }),
    badParams: { sku: NOT_A_SKU },
    body: () => ({ mode: 'on' }),
  },
  'GET /admin/analytics/sales': {
    as: 'admin',
    query: { from: '2026-01-01', to: '2026-01-31' },
    badQuery: { from: NOT_A_TIME, to: NOT_A_TIME },
  },
  'GET /admin/analytics/funnel': { as: 'admin', badQuery: { from: NOT_A_TIME, to: NOT_A_TIME } },
  'GET /admin/metrics/business': {
    as: 'admin',
    query: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    badQuery: { from: NOT_A_TIME, to: NOT_A_TIME, step: 'often' },
  },
  'GET /admin/orders': {
    as: 'admin',
    badQuery: { status: 'lost', customerId: '', from: NOT_A_TIME, to: NOT_A_TIME, page: '0', pageSize: '0' },
  },
  'POST /admin/orders/:orderId/shipments': {
    as: 'admin',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
    headers: KEY,
    badHeaders: BAD_KEY,
    body: () => ({ lines: [{ sku: SKU, quantity: 1 }], carrier: 'DHL', trackingNumber: 'JD0001' }),
  },
  'POST /admin/orders/:orderId/shipments/:shipmentId/delivery': {
    as: 'admin',
    params: (w) => ({ orderId: w.shipping, shipmentId: w.shipmentId }),
    badParams: { orderId: NOT_A_UUID, shipmentId: TOO_LONG(200) },
  },
  'POST /admin/orders/:orderId/cancel': {
    as: 'admin',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
    body: () => ({ reason: 'customer asked' }),
  },
  'POST /admin/orders/:orderId/refunds': {
    as: 'admin',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
    headers: KEY,
    badHeaders: BAD_KEY,
    body: () => ({ amount: { amount: 100, currency: 'USD' }, reason: 'goodwill' }),
  },
  'GET /admin/returns': { as: 'admin', badQuery: { status: 'lost', page: '0', pageSize: '0' } },
  'GET /admin/reviews': { as: 'admin', badQuery: { status: 'lost', page: '0', pageSize: '0' } },
  'POST /admin/orders/:orderId/review': {
    as: 'admin',
    params: (w) => ({ orderId: w.held }),
    badParams: { orderId: NOT_A_UUID },
    body: () => ({ decision: 'approve' }),
  },
  'POST /admin/returns/:returnId/receipt': {
    as: 'admin',
    params: (w) => ({ returnId: w.returnId }),
    badParams: { returnId: TOO_LONG(200) },
    body: () => ({ lines: [{ sku: SKU, quantity: 1, restock: true }] }),
  },
  'GET /products': {
    as: 'owner',
    badQuery: {
      q: TOO_LONG(200),
      category: TOO_LONG(300),
      brand: TOO_LONG(300),
      minPrice: 'cheap',
      maxPrice: '-5',
      inStock: 'maybe',
      attr: 'no-colon',
      sort: 'sideways',
      page: '-1',
      pageSize: 'abc',
    },
  },
  'GET /products/:sku': { as: 'owner', params: () => ({ sku: SKU }), badParams: { sku: TOO_LONG(200) } },
  'GET /inventory/:sku': {
    as: 'admin',
    params: () => ({ sku: SKU }),
    badParams: { sku: TOO_LONG(200) },
    badQuery: { asOf: NOT_A_TIME },
  },
  'POST /cart/items': { as: 'owner', body: () => ({ sku: IN_CART, quantity: 1 }) },
  'PUT /cart/items/:sku': {
    as: 'owner',
    params: () => ({ sku: IN_CART }),
    badParams: { sku: NOT_A_SKU },
    body: () => ({ quantity: 1 }),
  },
  'DELETE /cart/items/:sku': { as: 'owner', params: () => ({ sku: IN_CART }), badParams: { sku: NOT_A_SKU } },
  'POST /cart/merge': { as: 'owner', body: () => ({ items: [{ sku: IN_CART, quantity: 1 }] }) },
  'POST /checkout': {
    as: 'owner',
    headers: KEY,
    badHeaders: BAD_KEY,
    body: () => ({ paymentMethod: 'pm_card_visa' }),
  },
  'GET /orders': { as: 'owner', badQuery: { page: '0', pageSize: '101' } },
  'GET /orders/:orderId': {
    as: 'owner',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
    badQuery: { asOf: NOT_A_TIME },
  },
  'GET /orders/:orderId/events': {
    as: 'owner',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
  },
  'GET /orders/:orderId/live': {
    as: 'owner',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
    badHeaders: { 'last-event-id': 'the last one' },
  },
  'POST /orders/:orderId/cancel': {
    as: 'owner',
    params: order('confirmed'),
    badParams: { orderId: NOT_A_UUID },
  },
  'POST /orders/:orderId/returns': {
    as: 'owner',
    params: order('delivered'),
    badParams: { orderId: NOT_A_UUID },
    headers: KEY,
    badHeaders: BAD_KEY,
    body: () => ({ lines: [{ sku: SKU, quantity: 1 }], reason: 'too small' }),
  },
  'GET /streams': {
    as: 'auditor',
    badQuery: { from: 'the start', limit: '0', type: 'NoSuchEvent', category: '!!' },
  },
  'GET /streams/:streamId': {
    as: 'auditor',
    params: (w) => ({ streamId: `order-${w.confirmed}` }),
    badParams: { streamId: 'nodash' },
    badQuery: { fromVersion: '0', limit: '0' },
  },
  'GET /audit/streams/:streamId/verify': {
    as: 'auditor',
    params: (w) => ({ streamId: `order-${w.confirmed}` }),
    badParams: { streamId: 'nodash' },
  },
  'GET /audit/log/anchor': { as: 'auditor', badQuery: { upTo: 'the end' } },
  'POST /webhooks/stripe': { as: 'anonymous', signed: true },
};

/** Routes that take no input: nothing in the path, query, headers or body that could be malformed. */
const NO_INPUT: Readonly<Record<string, string>> = {
  'GET /health': 'liveness',
  'GET /ready': 'readiness',
  'GET /metrics': 'Prometheus text (its token is a credential, tested in hardening.spec.ts)',
  'GET /openapi.json': 'the document',
  'GET /cart': "the caller's own cart",
  'GET /storefront/config': 'what a page needs to start, the same for everyone',
  'GET /admin/projections': 'the projections overview',
  'GET /admin/gate': 'the flash-sale gates the console lists',
  'GET /docs': 'API docs page',
  'GET /docs/': 'API docs page',
  'GET /docs/static/index.html': 'API docs page',
  'GET /docs/static/swagger-initializer.js': 'API docs script',
  'GET /docs/static/*': 'API docs static files (an unknown one is 404)',
  'GET /docs/json': 'the document again, for the docs page',
  'GET /docs/yaml': 'the document again, for the docs page',
};

/**
 * The web pages (HTML, hidden from the OpenAPI document). The storefront's home and product pages are
 * drawn from the answers of `GET /products` and `GET /products/:sku`, which judge their input: a page
 * answers with the same status, as HTML (tested below); the others are drawn in the browser.
 */
const PAGES: Readonly<Record<string, string>> = {
  'GET /': "storefront home and search: the query is `GET /products`'s",
  'GET /shop/products/:sku': "a product page: the SKU is `GET /products/:sku`'s",
  'GET /shop/*': 'storefront pages drawn in the browser',
  'GET /console': 'the console, drawn in the browser',
  'GET /console/*': 'console pages, drawn in the browser',
  'GET /assets/*': 'built scripts and styles (an unknown one is 404)',
  'GET /favicon.svg': 'the icon',
  'GET /robots.txt': 'what crawlers may read',
};

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
];
const OVERSIZED = JSON.stringify({ sku: 'BAD-1', quantity: 1, padding: 'x'.repeat(200_000) });

/** A value of another JSON type than `value`. */
const otherType = (value: unknown): unknown => {
  if (typeof value === 'string') return 12_345;
  if (typeof value === 'number') return 'many';
  if (typeof value === 'boolean') return 'yes';
  if (Array.isArray(value)) return { not: 'a list' };
  return 'not an object';
};

/** `body` with the value at each path in it (nested ones too) replaced in turn by one of another type. */
function* wrongTypes(value: unknown, path: string[] = []): Generator<{ field: string; body: unknown }> {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const at = [...path, key];
    const replacing = (replacement: unknown) => {
      const copy = structuredClone(value) as Record<string, unknown>;
      copy[key] = replacement;
      return copy;
    };
    yield { field: ['body', ...at].join('.'), body: replacing(otherType(inner)) };
    for (const deeper of wrongTypes(inner, at)) yield { field: deeper.field, body: replacing(deeper.body) };
  }
}

describe.each(['embedded', 'postgres'] as const)('bad input on every route (%s)', (profile) => {
  let t: TestApp;
  let world: World;
  let callers: Record<Who, Headers>;
  let sent = 0;
  /** Set once the world is made: every request from then on is the sweep's, and tagged as such. */
  let sweeping = false;
  const correlation = `bad-input-${profile}-`;
  let before: { events: number; cart: string; orders: string[] };

  const call = (
    method: string,
    url: string,
    headers: Headers,
    payload?: string | object,
  ): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method: method as 'POST',
      url,
      headers: {
        ...headers,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        'x-correlation-id': sweeping ? `${correlation}${++sent}` : `setup-${profile}`,
      },
      ...(payload === undefined ? {} : { payload }),
    });
  /** On PostgreSQL the global log shows a commit once every transaction begun before it has ended. */
  const logEvents = async () => {
    if (profile === 'postgres') await logShowsAllCommitted(t.platform.db);
    return (await t.platform.store.readAll({ maxCount: 1_000_000 })).events;
  };
  const snapshot = async () => ({
    events: (await logEvents()).length,
    cart: (await t.app.inject({ method: 'GET', url: '/cart', headers: callers.owner })).body,
    orders: await Promise.all(
      [world.confirmed, world.shipping, world.delivered].map(
        async (orderId) =>
          (await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: callers.owner })).body,
      ),
    ),
  });

  beforeAll(async () => {
    t = await testApp(profile, { PAYMENT_TIMEOUT_MS: '2000', STRIPE_WEBHOOK_SECRET: 'whsec_badInputSweep' });
    const owner = await signIn(t.app, t.platform, 'owner@example.com');
    const other = await signIn(t.app, t.platform, 'other@example.com');
    callers = {
      anonymous: {},
      owner: owner.headers,
      admin: (await signIn(t.app, t.platform, 'admin@example.com', 'admin')).headers,
      auditor: (await signIn(t.app, t.platform, 'auditor@example.com', 'auditor')).headers,
    };
    await stockProduct(t.platform, SKU, 100, 1_000);
    await stockProduct(t.platform, IN_CART, 100, 500);
    const ok = (response: LightMyRequestResponse, status: number) => {
      if (response.statusCode !== status)
        throw new Error(`setup: ${status} expected, got ${response.statusCode} ${response.body}`);
      return response.json<Record<string, string>>();
    };
    let keys = 0;
    /** An order of the owner's, placed over HTTP from a filled cart, confirmed and captured. */
    const paidOrder = async () => {
      ok(await call('POST', '/cart/items', owner.headers, { sku: SKU, quantity: 2 }), 200);
      const key = { 'idempotency-key': `bad-input-setup-${++keys}` };
      const { orderId } = ok(
        await call('POST', '/checkout', { ...owner.headers, ...key }, { paymentMethod: 'pm_card_visa' }),
        202,
      );
      await waitUntil(
        `order ${orderId} confirmed and paid`,
        async () => {
          const { status } = await orderState(t.platform, orderId!);
          if (status === 'cancelled') throw new Error(`order ${orderId} was cancelled`);
          return status === 'confirmed' && (await paymentOf(t.platform, orderId!)).status === 'captured';
        },
        30_000,
      );
      return orderId!;
    };
    const ship = async (orderId: string, quantity: number) =>
      ok(
        await call(
          'POST',
          `/admin/orders/${orderId}/shipments`,
          { ...callers.admin, 'idempotency-key': `bad-input-ship-${++keys}` },
          { lines: [{ sku: SKU, quantity }], carrier: 'DHL', trackingNumber: `JD${keys}` },
        ),
        201,
      ).shipmentId!;
    const confirmed = await paidOrder();
    const shipping = await paidOrder();
    const shipmentId = await ship(shipping, 1);
    const delivered = await paidOrder();
    const deliveredShipment = await ship(delivered, 2);
    ok(
      await call('POST', `/admin/orders/${delivered}/shipments/${deliveredShipment}/delivery`, callers.admin),
      200,
    );
    const { returnId } = ok(
      await call(
        'POST',
        `/orders/${delivered}/returns`,
        { ...owner.headers, 'idempotency-key': `bad-input-return-${++keys}` },
        { lines: [{ sku: SKU, quantity: 1 }], reason: 'too small' },
      ),
      201,
    );
    // A new account's first order of 1,000.00: held for review by the default fraud rules.
    await stockProduct(t.platform, 'BAD-HELD', 5, 100_000);
    const held = await checkout(t.platform, other.userId, [{ sku: 'BAD-HELD', quantity: 1 }]);
    await waitUntil(
      `order ${held} held for review`,
      async () => (await orderState(t.platform, held)).status === 'review',
      30_000,
    );
    // The cart the sweep's cart and checkout requests would change, were they taken.
    ok(await call('POST', '/cart/items', owner.headers, { sku: IN_CART, quantity: 2 }), 200);
    world = {
      confirmed,
      shipping,
      shipmentId,
      delivered,
      returnId: returnId!,
      otherUserId: other.userId,
      held,
    };
    before = await snapshot();
    sweeping = true;
  });
  afterAll(() => t?.close());

  it('sweeps real things: a filled cart, orders confirmed, partly shipped and delivered, a return asked for', () => {
    expect(JSON.parse(before.cart).items).toEqual([expect.objectContaining({ sku: IN_CART, quantity: 2 })]);
    expect(before.orders.map((o) => (JSON.parse(o) as { status: string }).status)).toEqual([
      'confirmed',
      'partially_shipped',
      'delivered',
    ]);
    expect(JSON.parse(before.orders[2]!).returns).toEqual([
      expect.objectContaining({ returnId: world.returnId, status: 'requested' }),
    ]);
  });

  it('covers every route the server registers, and every input each one documents', async () => {
    const registered = registeredRoutes(t.app);
    const names = new Set(registered.map((r) => `${r.method} ${r.url}`));
    // HEAD routes are Fastify's twins of GET routes: the same schema, the GET's case covers them.
    const uncovered = [...names].filter(
      (name) =>
        !(name in CASES) &&
        !(name in NO_INPUT) &&
        !(name in PAGES) &&
        !(name.startsWith('HEAD ') && names.has(name.replace(/^HEAD /, 'GET '))),
    );
    expect(uncovered, 'routes neither swept nor listed as taking no input').toEqual([]);
    const gone = [...Object.keys(CASES), ...Object.keys(NO_INPUT), ...Object.keys(PAGES)].filter(
      (name) => !names.has(name),
    );
    expect(gone, 'listed here but not registered').toEqual([]);

    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
      >;
    }>();
    const missed: string[] = [];
    for (const [name, c] of Object.entries(CASES)) {
      const [method, url] = name.split(' ') as [string, string];
      const operation = document.paths[openApiPath(url)]?.[method.toLowerCase()];
      const swept: Record<string, object | undefined> = {
        path: c.badParams,
        query: c.badQuery,
        header: c.badHeaders,
      };
      for (const parameter of operation?.parameters ?? [])
        if (!(parameter.name in (swept[parameter.in] ?? {})))
          missed.push(`${name}: ${parameter.in} ${parameter.name}`);
      if (operation?.requestBody && !c.body) missed.push(`${name}: body`);
    }
    for (const name of Object.keys(NO_INPUT)) {
      const [method, url] = name.split(' ') as [string, string];
      const operation = document.paths[openApiPath(url)]?.[method.toLowerCase()];
      if (operation?.parameters?.length || operation?.requestBody) missed.push(`${name} documents input`);
    }
    expect(missed, 'documented inputs the sweep never malforms').toEqual([]);
  });

  it('a page drawn from a JSON route answers with its status, as a page: a search it refuses, an unknown product', async () => {
    for (const [url, status] of [
      ['/?page=zero', 400],
      ['/?sort=cheapest-first', 400],
      [`/shop/products/${'X'.repeat(300)}`, 400],
      ['/shop/products/NO-SUCH-SKU', 404],
    ] as const) {
      const response = await call('GET', url, {}, undefined);
      expect(response.statusCode, url).toBe(status);
      expect(response.headers['content-type'], url).toContain('text/html');
    }
  });

  it.each(Object.keys(CASES))('%s: malformed input is refused, naming the field', async (name) => {
    const c = CASES[name]!;
    const [method, pattern] = name.split(' ') as [string, string];
    const headers = { ...callers[c.as], ...c.headers };
    const params = c.params?.(world) ?? {};
    const url = (values: Record<string, string>, query: Record<string, string> = c.query ?? {}) => {
      const path = pattern.replace(/:(\w+)/g, (_, param: string) => encodeURIComponent(values[param]!));
      const search = new URLSearchParams(query).toString();
      return search ? `${path}?${search}` : path;
    };
    const expectRefused = (response: LightMyRequestResponse, field: string, what: string) => {
      const where = `${name} with ${what} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
      expect(response.statusCode, where).toBe(400);
      expect(response.headers['content-type'], where).toContain('application/problem+json');
      const problem = response.json<{ type: string; errors?: { field: string }[] }>();
      expect(problem.type, where).toMatch(/\/validation$/);
      const fields = (problem.errors ?? []).map((e) => e.field);
      expect(fields, where).toContain(field);
      // Only that part of the request was at fault.
      const part = field.split('.')[0]!;
      for (const other of fields) expect(other === part || other.startsWith(`${part}.`), where).toBe(true);
    };
    let tried = 0;

    if (c.signed) {
      const event = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: {} } });
      for (const [what, payload, signature] of [
        ['no signature', event, undefined],
        ['a forged signature', event, `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`],
        ['a malformed signature header', event, 'garbage'],
        ...BAD_BODIES.map(([what, body]) => [what, body, undefined]),
      ] as [string, string, string | undefined][]) {
        const response = await call(
          method,
          url(params),
          {
            ...headers,
            ...(signature ? { 'stripe-signature': signature } : {}),
          },
          payload,
        );
        const where = `${name} with ${what} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, where).toBe(400);
        expect(response.json<{ type: string }>().type, where).toMatch(/\/webhook-signature$/);
        tried++;
      }
    }

    for (const [param, bad] of Object.entries(c.badParams ?? {})) {
      const response = await call(method, url({ ...params, [param]: bad }), headers, c.body?.(world));
      expectRefused(response, `params.${param}`, `${param} ${JSON.stringify(bad)}`);
      tried++;
    }
    for (const [key, bad] of Object.entries(c.badQuery ?? {})) {
      const response = await call(method, url(params, { ...c.query, [key]: bad }), headers, c.body?.(world));
      expectRefused(response, `querystring.${key}`, `?${key}=${bad}`);
      tried++;
    }
    if (c.badQuery) {
      const response = await call(
        method,
        url(params, { ...c.query, unknown: 'x' }),
        headers,
        c.body?.(world),
      );
      expectRefused(response, 'querystring', 'an unknown query parameter');
      tried++;
    }
    for (const [header, bad] of Object.entries(c.badHeaders ?? {})) {
      const response = await call(method, url(params), { ...headers, [header]: bad }, c.body?.(world));
      expectRefused(response, `headers.${header}`, `${header}: ${bad}`);
      tried++;
    }
    if (c.body) {
      const body = c.body(world);
      for (const variant of wrongTypes(body)) {
        const response = await call(method, url(params), headers, variant.body as object);
        expectRefused(response, variant.field, `${variant.field} of another type`);
        tried++;
      }
      const extra = await call(method, url(params), headers, { ...body, unexpected: true });
      expectRefused(extra, 'body', 'an unknown field');
      expect(extra.json<{ errors: { problem: string }[] }>().errors[0]!.problem).toContain('unexpected');
      for (const [what, payload] of BAD_BODIES) {
        const response = await call(method, url(params), headers, payload);
        const where = `${name} with ${what} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        if (what === 'malformed JSON') {
          expect(response.statusCode, where).toBe(400);
          expect(response.json<{ type: string }>().type, where).toMatch(/\/fst-err-ctp-invalid-json-body$/);
        } else if (what === 'an array' || what === 'a number') expectRefused(response, 'body', what);
        else {
          expect(response.statusCode, where).toBe(400);
          expect(response.json<{ type: string }>().type, where).toMatch(/\/validation$/);
          const fields = response.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
          expect(fields.length, where).toBeGreaterThan(0);
          for (const field of fields) expect(field, where).toMatch(/^body(\.|$)/);
        }
        tried++;
      }
    }
    if (c.body || c.signed) {
      const response = await call(method, url(params), headers, OVERSIZED);
      expect(response.statusCode, `${name} with a body over the size limit: ${response.body}`).toBe(413);
      tried++;
    }
    expect(tried, `${name}: nothing was tried`).toBeGreaterThan(0);
  });

  it('appended no event for any of those requests, and left the cart and the orders as they were', async () => {
    expect(sent).toBeGreaterThan(Object.keys(CASES).length);
    const events = await logEvents();
    expect(events.filter((e) => e.metadata.correlationId.startsWith(correlation))).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
