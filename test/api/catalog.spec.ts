import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import type { Role } from '../../src/identity/users.ts';
import { testApp, type TestApp } from '../support/platform.ts';

const product = (overrides: Record<string, unknown> = {}) => ({
  title: 'Linen Shirt',
  description: 'A breezy shirt for summer',
  brand: 'Northwind',
  category: 'Apparel',
  attributes: { size: 'M', colour: 'Blue', organic: true, weightGrams: 180 },
  price: { amount: 4999, currency: 'USD' },
  ...overrides,
});

const expectProblem = (response: LightMyRequestResponse, status: number) => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ status, title: expect.any(String) });
};

describe.each(['embedded', 'postgres'] as const)('catalog over HTTP (%s)', (profile) => {
  let t: TestApp;
  let admin: string;
  let customer: string;

  const tokenFor = async (role: Role) =>
    t.app.issueToken(
      await t.platform.users.register(`${role}-${uuidv7()}@example.com`, 'long enough pw', role),
    );
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const putProduct = (sku: string, body: unknown, token = admin) =>
    t.app.inject({
      method: 'PUT',
      url: `/admin/products/${sku}`,
      headers: as(token),
      payload: body as object,
    });
  const receive = (sku: string, quantity: number) =>
    t.app.inject({
      method: 'POST',
      url: `/admin/inventory/${sku}/receive`,
      headers: as(admin),
      payload: { quantity },
    });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const eventCount = async () =>
    (await t.platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM es_events`))[0]!.n;
  /** The read model follows the log: wait until `url` answers as expected (in a hook too, unlike expect.poll). */
  const eventually = async (
    url: string,
    check: (body: Record<string, unknown>, status: number) => boolean,
  ) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await get(url);
      if (check(response.json(), response.statusCode)) return;
      if (Date.now() > deadline) throw new Error(`${url} never became as expected: ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  beforeAll(async () => {
    t = await testApp(profile);
    admin = await tokenFor('admin');
    customer = await tokenFor('customer');
  });
  afterAll(() => t.close());

  describe('admin product upkeep', () => {
    it('needs a token (401) and the admin role (403) before anything is read or written', async () => {
      const before = await eventCount();
      const anonymous = await t.app.inject({
        method: 'PUT',
        url: '/admin/products/SHIRT-1',
        payload: product(),
      });
      expectProblem(anonymous, 401);
      expectProblem(await putProduct('SHIRT-1', product(), customer), 403);
      expectProblem(await putProduct('SHIRT-1', { nonsense: true }, customer), 403);
      const auditor = await tokenFor('auditor');
      expectProblem(await putProduct('SHIRT-1', product(), auditor), 403);
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/admin/inventory/SHIRT-1/receive',
          payload: { quantity: 1 },
        }),
        401,
      );
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/admin/inventory/SHIRT-1/adjust',
          headers: as(customer),
          payload: { delta: 1, reason: 'count' },
        }),
        403,
      );
      expect(await eventCount()).toBe(before);
    });

    it('lists a new product (201), then updates details and price (200), answering with the product', async () => {
      const created = await putProduct('SHIRT-2', product());
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ sku: 'SHIRT-2', available: 0, ...product() });
      const updated = await putProduct(
        'SHIRT-2',
        product({ title: 'Linen Shirt, relaxed fit', price: { amount: 3999, currency: 'USD' } }),
      );
      expect(updated.statusCode).toBe(200);
      expect(updated.json()).toMatchObject({ title: 'Linen Shirt, relaxed fit', price: { amount: 3999 } });
      const events = await t.platform.store.readStream(streams.product('SHIRT-2'));
      expect(events.map((e) => e.type)).toEqual([
        'ProductListed',
        'ProductDetailsChanged',
        'ProductPriceChanged',
      ]);
      expect(events[0]!.metadata.actor.role).toBe('admin');

      const same = await putProduct(
        'SHIRT-2',
        product({ title: 'Linen Shirt, relaxed fit', price: { amount: 3999, currency: 'USD' } }),
      );
      expect(same.statusCode).toBe(200);
      expect(await t.platform.store.streamVersion(streams.product('SHIRT-2'))).toBe(3);
      await eventually(
        '/products/SHIRT-2',
        (body) =>
          body.title === 'Linen Shirt, relaxed fit' && (body.price as { amount: number }).amount === 3999,
      );
      const page = await get('/products/SHIRT-2');
      expect(page.json()).toMatchObject({
        sku: 'SHIRT-2',
        price: { amount: 3999, currency: 'USD' },
        description: 'A breezy shirt for summer',
        attributes: { size: 'M', colour: 'Blue', organic: true, weightGrams: 180 },
        available: 0,
      });
    });

    it('refuses a price in another currency than the product was listed in, changing nothing', async () => {
      await t.platform.commands.product.handle(
        streams.product('EURO-1'),
        {
          type: 'ListProduct',
          data: {
            sku: 'EURO-1',
            ...product(),
            price: { amount: 100, currency: 'EUR' },
            at: new Date().toISOString(),
          },
        },
        { actor: { id: 'admin', role: 'admin' }, correlationId: uuidv7() },
      );
      const refused = await putProduct('EURO-1', product({ title: 'Renamed' }));
      expectProblem(refused, 409);
      expect(refused.json().code).toBe('CurrencyMismatch');
      expect(await t.platform.store.streamVersion(streams.product('EURO-1'))).toBe(1);
    });

    it('answers 404 for an unknown SKU and for a delisted product', async () => {
      expectProblem(await get('/products/NO-SUCH-SKU'), 404);
      expectProblem(await get('/products/%20spaced%20'), 404);
      await putProduct('GONE-1', product({ title: 'Soon gone' }));
      await eventually('/products/GONE-1', (_body, status) => status === 200);
      await t.platform.commands.product.handle(
        streams.product('GONE-1'),
        { type: 'DelistProduct', data: { sku: 'GONE-1', at: new Date().toISOString() } },
        { actor: { id: 'admin', role: 'admin' }, correlationId: uuidv7() },
      );
      await eventually('/products/GONE-1', (_body, status) => status === 404);
      expectProblem(await get('/products/GONE-1'), 404);
    });

    it('answers 404 for a SKU of up to 200 characters that cannot exist, 400 for a longer one', async () => {
      expectProblem(await get(`/products/${'x'.repeat(200)}`), 404);
      const tooLong = await get(`/products/${'x'.repeat(201)}`);
      expectProblem(tooLong, 400);
      expect(tooLong.json()).toMatchObject({
        type: 'https://eventful-commerce.dev/problems/validation',
        detail: 'invalid params.sku',
        errors: [{ field: 'params.sku', problem: expect.stringContaining('200') }],
      });
    });
  });

  describe('stock', () => {
    it('receives and adjusts stock, answering with the exact levels, and /inventory reads them at once', async () => {
      await putProduct('MUG-1', product({ title: 'Mug', category: 'Kitchen' }));
      const received = await receive('MUG-1', 10);
      expect(received.statusCode).toBe(200);
      expect(received.json()).toEqual({ sku: 'MUG-1', onHand: 10, reserved: 0, available: 10 });
      await t.platform.commands.inventory.handle(
        streams.inventory('MUG-1'),
        {
          type: 'ReserveStock',
          data: {
            sku: 'MUG-1',
            reservationId: 'order-1',
            quantity: 4,
            expiresAt: new Date(Date.now() + 600_000).toISOString(),
            now: new Date().toISOString(),
          },
        },
        { actor: { id: 'saga', role: 'system' }, correlationId: uuidv7() },
      );
      const adjusted = await t.app.inject({
        method: 'POST',
        url: '/admin/inventory/MUG-1/adjust',
        headers: as(admin),
        payload: { delta: -3, reason: 'two broken in the warehouse, one lost' },
      });
      expect(adjusted.json()).toEqual({ sku: 'MUG-1', onHand: 7, reserved: 4, available: 3 });
      expect((await get('/inventory/MUG-1')).json()).toEqual({
        sku: 'MUG-1',
        onHand: 7,
        reserved: 4,
        available: 3,
      });

      const before = await eventCount();
      const belowReserved = await t.app.inject({
        method: 'POST',
        url: '/admin/inventory/MUG-1/adjust',
        headers: as(admin),
        payload: { delta: -4, reason: 'count' },
      });
      expectProblem(belowReserved, 409);
      expect(belowReserved.json().code).toBe('AdjustmentBelowReserved');
      expect(await eventCount()).toBe(before);
      await eventually('/products/MUG-1', (body) => body.available === 3);
    });

    it('refuses stock for a SKU that is not a listed product, and /inventory knows only real SKUs', async () => {
      const before = await eventCount();
      expectProblem(await receive('NEVER-LISTED', 5), 404);
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/admin/inventory/NEVER-LISTED/adjust',
          headers: as(admin),
          payload: { delta: 5, reason: 'found' },
        }),
        404,
      );
      expect(await eventCount()).toBe(before);
      expectProblem(await get('/inventory/NEVER-LISTED'), 404);
      expectProblem(await get('/inventory/bad%20sku'), 404);
      await putProduct('EMPTY-1', product({ title: 'Nothing in stock' }));
      expect((await get('/inventory/EMPTY-1')).json()).toEqual({
        sku: 'EMPTY-1',
        onHand: 0,
        reserved: 0,
        available: 0,
      });
    });
  });

  describe('browsing', () => {
    const lamps = [
      { sku: 'LAMP-1', title: 'Arc Floor Lamp', brand: 'Lumo', price: 12_000, stock: 3 },
      { sku: 'LAMP-2', title: 'Brass Desk Lamp', brand: 'Lumo', price: 4_500, stock: 0 },
      { sku: 'LAMP-3', title: 'Clip Reading Lamp', brand: 'Glow', price: 1_500, stock: 8 },
      { sku: 'LAMP-4', title: 'Dimmable Table Lamp', brand: 'Glow', price: 7_000, stock: 1 },
      { sku: 'LAMP-5', title: 'Edison Pendant Lamp', brand: 'Lumo', price: 30_000, stock: 2 },
    ];

    beforeAll(async () => {
      for (const lamp of lamps) {
        const listed = await putProduct(
          lamp.sku,
          product({
            title: lamp.title,
            brand: lamp.brand,
            category: 'Lighting',
            description: `${lamp.title} with 100% recycled_shade`,
            attributes: { bulb: 'E27' },
            price: { amount: lamp.price, currency: 'USD' },
          }),
        );
        expect(listed.statusCode).toBe(201);
        if (lamp.stock > 0) expect((await receive(lamp.sku, lamp.stock)).statusCode).toBe(200);
      }
      await eventually('/products?category=Lighting&inStock=true', (body) => body.total === 4);
    });

    const skus = (body: { items: { sku: string }[] }) => body.items.map((i) => i.sku);

    it('filters by category, brand, price range and stock, with facets over the filtered set', async () => {
      const body = (await get('/products?category=Lighting&sort=price_asc')).json();
      expect(body.total).toBe(5);
      expect(skus(body)).toEqual(['LAMP-3', 'LAMP-2', 'LAMP-4', 'LAMP-1', 'LAMP-5']);
      expect(body.items[0]).toEqual({
        sku: 'LAMP-3',
        title: 'Clip Reading Lamp',
        price: { amount: 1500, currency: 'USD' },
        brand: 'Glow',
        category: 'Lighting',
        attributes: { bulb: 'E27' },
        available: 8,
      });
      expect(body.facets.category).toEqual([{ value: 'Lighting', count: 5 }]);
      expect(body.facets.brand).toEqual([
        { value: 'Lumo', count: 3 },
        { value: 'Glow', count: 2 },
      ]);
      expect(body.facets.price).toEqual([
        { from: 1000, to: 2500, count: 1 },
        { from: 2500, to: 5000, count: 1 },
        { from: 5000, to: 10000, count: 1 },
        { from: 10000, to: 25000, count: 1 },
        { from: 25000, to: 50000, count: 1 },
      ]);

      const lumo = (await get('/products?category=Lighting&brand=Lumo&sort=price_desc')).json();
      expect(skus(lumo)).toEqual(['LAMP-5', 'LAMP-1', 'LAMP-2']);
      expect(lumo.facets.brand).toEqual([{ value: 'Lumo', count: 3 }]);

      const range = (
        await get('/products?category=Lighting&minPrice=4500&maxPrice=12000&sort=price_asc')
      ).json();
      expect(skus(range)).toEqual(['LAMP-2', 'LAMP-4', 'LAMP-1']);

      const inStock = (await get('/products?category=Lighting&inStock=true&sort=title')).json();
      expect(skus(inStock)).toEqual(['LAMP-1', 'LAMP-3', 'LAMP-4', 'LAMP-5']);
      expect(inStock.facets.brand).toEqual([
        { value: 'Glow', count: 2 },
        { value: 'Lumo', count: 2 },
      ]);
      expect((await get('/products?category=Lighting&inStock=false')).json().total).toBe(5);
    });

    it('searches words in title, brand and description case-insensitively, punctuation between words', async () => {
      expect(skus((await get('/products?q=desk%20LAMP')).json())).toEqual(['LAMP-2']);
      expect((await get('/products?q=glow&category=Lighting')).json().total).toBe(2);
      expect((await get('/products?q=recycled_shade')).json().total).toBe(5);
      expect((await get('/products?q=100%25')).json().total).toBe(5);
      // Full-text search (test/search/): `%` and `_` separate words, they are not patterns.
      expect((await get('/products?q=recycled%25shade')).json().total).toBe(5);
      expect((await get('/products?q=_&category=Lighting')).json().total).toBe(5);
      expect((await get('/products?q=%F0%9F%92%A1%20lamp&category=Lighting')).json().total).toBe(5);
      // The last word is a prefix; words are not stemmed.
      expect((await get('/products?q=pendant%20la')).json().total).toBe(1);
      expect((await get('/products?q=lamps')).json().total).toBe(0);
      // Not UTF-8 at all: decoded leniently, and simply matches nothing.
      expect((await get('/products?brand=%ED%A0%80')).json().total).toBe(0);
    });

    it('pages through a sorted list, capping the page size at 100', async () => {
      const first = (await get('/products?category=Lighting&sort=title&pageSize=2')).json();
      const second = (await get('/products?category=Lighting&sort=title&pageSize=2&page=2')).json();
      const third = (await get('/products?category=Lighting&sort=title&pageSize=2&page=3')).json();
      const beyond = (await get('/products?category=Lighting&sort=title&pageSize=2&page=9')).json();
      expect([skus(first), skus(second), skus(third)]).toEqual([
        ['LAMP-1', 'LAMP-2'],
        ['LAMP-3', 'LAMP-4'],
        ['LAMP-5'],
      ]);
      expect([first.total, third.total, beyond.total]).toEqual([5, 5, 5]);
      expect(beyond.items).toEqual([]);
      const capped = (await get('/products?pageSize=500')).json();
      expect(capped.pageSize).toBe(100);
      const newest = (await get('/products?category=Lighting&sort=newest')).json();
      expect(skus(newest)).toEqual(['LAMP-5', 'LAMP-4', 'LAMP-3', 'LAMP-2', 'LAMP-1']);
    });

    it('shows a price change and a stock change on the product page and in the list', async () => {
      await putProduct(
        'LAMP-3',
        product({
          title: 'Clip Reading Lamp',
          brand: 'Glow',
          category: 'Lighting',
          description: 'Clip Reading Lamp with 100% recycled_shade',
          attributes: { bulb: 'E27' },
          price: { amount: 1_700, currency: 'USD' },
        }),
      );
      await receive('LAMP-3', 2);
      await eventually('/products/LAMP-3', (body) => (body.price as { amount: number }).amount === 1700);
      await eventually('/products/LAMP-3', (body) => body.available === 10);
      const listed = (await get('/products?category=Lighting&brand=Glow&sort=price_asc')).json();
      expect(listed.items[0]).toMatchObject({ sku: 'LAMP-3', price: { amount: 1700 }, available: 10 });
    });
  });

  describe('refuses bad input with a 4xx problem and records nothing', () => {
    const hugeDescription = 'x'.repeat(100_000);
    it.each([
      ['malformed JSON', 'PUT', '/admin/products/BAD-1', '{"title": '],
      ['an unknown field', 'PUT', '/admin/products/BAD-1', product({ colour: 'red' })],
      ['a missing field', 'PUT', '/admin/products/BAD-1', { title: 'x' }],
      [
        'a price as a string',
        'PUT',
        '/admin/products/BAD-1',
        product({ price: { amount: '10', currency: 'USD' } }),
      ],
      [
        'a negative price',
        'PUT',
        '/admin/products/BAD-1',
        product({ price: { amount: -1, currency: 'USD' } }),
      ],
      [
        'a fractional price',
        'PUT',
        '/admin/products/BAD-1',
        product({ price: { amount: 9.5, currency: 'USD' } }),
      ],
      ['a huge price', 'PUT', '/admin/products/BAD-1', product({ price: { amount: 1e20, currency: 'USD' } })],
      [
        'another currency',
        'PUT',
        '/admin/products/BAD-1',
        product({ price: { amount: 100, currency: 'EUR' } }),
      ],
      ['a blank title', 'PUT', '/admin/products/BAD-1', product({ title: '   ' })],
      ['a nested attribute', 'PUT', '/admin/products/BAD-1', product({ attributes: { size: { eu: 42 } } })],
      [
        'too many attributes',
        'PUT',
        '/admin/products/BAD-1',
        product({ attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])) }),
      ],
      [
        'a NUL character in the title',
        'PUT',
        '/admin/products/BAD-1',
        JSON.stringify(product({ title: 'a\u0000b' })),
      ],
      ['an unpaired surrogate in the brand', 'PUT', '/admin/products/BAD-1', '{"brand": "\\ud800"}'],
      [
        'a NUL character in an attribute name',
        'PUT',
        '/admin/products/BAD-1',
        JSON.stringify(product({ attributes: { 'a\u0000': 1 } })),
      ],
      ['a prototype key', 'PUT', '/admin/products/BAD-1', '{"__proto__": {"admin": true}}'],
      ['an oversize body', 'PUT', '/admin/products/BAD-1', product({ description: hugeDescription })],
      ['a SKU with a space', 'PUT', '/admin/products/BAD%201', product()],
      ['a SKU with a slash', 'PUT', '/admin/products/BAD%2F1', product()],
      ['a zero quantity', 'POST', '/admin/inventory/MUG-1/receive', { quantity: 0 }],
      ['a negative quantity', 'POST', '/admin/inventory/MUG-1/receive', { quantity: -5 }],
      ['a fractional quantity', 'POST', '/admin/inventory/MUG-1/receive', { quantity: 1.5 }],
      ['a quantity as a string', 'POST', '/admin/inventory/MUG-1/receive', { quantity: '5' }],
      ['a huge quantity', 'POST', '/admin/inventory/MUG-1/receive', { quantity: 1e15 }],
      ['an unknown receive field', 'POST', '/admin/inventory/MUG-1/receive', { quantity: 1, note: 'x' }],
      ['no body at all', 'POST', '/admin/inventory/MUG-1/receive', undefined],
      ['receiving an unknown SKU', 'POST', '/admin/inventory/NOPE-1/receive', { quantity: 1 }],
      ['a zero delta', 'POST', '/admin/inventory/MUG-1/adjust', { delta: 0, reason: 'count' }],
      ['a huge delta', 'POST', '/admin/inventory/MUG-1/adjust', { delta: -1e12, reason: 'count' }],
      ['a missing reason', 'POST', '/admin/inventory/MUG-1/adjust', { delta: 1 }],
      ['a blank reason', 'POST', '/admin/inventory/MUG-1/adjust', { delta: 1, reason: ' ' }],
      [
        'a NUL character in the reason',
        'POST',
        '/admin/inventory/MUG-1/adjust',
        { delta: 1, reason: 'a\u0000' },
      ],
    ])('%s', async (_name, method, url, payload) => {
      await putProduct('MUG-1', product({ title: 'Mug', category: 'Kitchen' }));
      const before = await eventCount();
      const response = await t.app.inject({
        method: method as 'PUT' | 'POST',
        url,
        headers: { ...as(admin), 'content-type': 'application/json' },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
      expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await eventCount()).toBe(before);
    });

    it.each([
      'pageSize=abc',
      'page=0',
      'page=-1',
      'sort=cheapest',
      'minPrice=-1',
      'maxPrice=1.5',
      'inStock=maybe',
      'colour=red',
      'brand=a&brand=b',
      `q=${'x'.repeat(201)}`,
      'q=%00',
      'category=%00',
    ])('answers GET /products?%s with 400', async (query) => {
      expectProblem(await get(`/products?${query}`), 400);
    });
  });
});
