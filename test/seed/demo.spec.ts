import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../../src/seed/demo-catalog.ts';
import { DEMO_USERS, seedDemo } from '../../src/seed/demo.ts';
import { appendNewStreams } from '../../src/seed/new-streams.ts';
import { loadConfig } from '../../src/config.ts';
import { seedDemoAtStartup } from '../../src/seed/startup.ts';
import { testApp, type TestApp } from '../support/platform.ts';

const password = 'demo password 123';

describe('the demo catalog', () => {
  it('is the same on every call: over 1,000 products, unique SKUs, several categories, some sold out', () => {
    const catalog = demoCatalog();
    expect(demoCatalog()).toEqual(catalog);
    expect(catalog.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(catalog.map((p) => p.sku)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.category)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(catalog.map((p) => p.brand)).size).toBeGreaterThanOrEqual(20);
    const soldOut = catalog.filter((p) => p.stock === 0).length;
    expect(soldOut).toBeGreaterThan(50);
    expect(soldOut).toBeLessThan(catalog.length / 4);
    expect(catalog.every((p) => Number.isInteger(p.price.amount) && p.price.amount > 0)).toBe(true);
    const laptop = catalog.find((p) => p.category === 'Laptops')!;
    expect(Object.keys(laptop.attributes)).toEqual(expect.arrayContaining(['ramGb', 'cpu']));
    const shirt = catalog.find((p) => p.category === 'Apparel')!;
    expect(Object.keys(shirt.attributes)).toEqual(expect.arrayContaining(['size', 'colour']));
    const book = catalog.find((p) => p.category === 'Books')!;
    expect(Object.keys(book.attributes)).toEqual(expect.arrayContaining(['author', 'pages']));
  });
});

describe('seeding the demo shop (embedded)', () => {
  let t: TestApp;
  const eventCount = async () =>
    (await t.platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM es_events`))[0]!.n;
  const login = (email: string) =>
    t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });

  beforeAll(async () => (t = await testApp('embedded')));
  afterAll(() => t.close());

  // How long seeding takes is not asserted: speed is for benchmarks to measure.
  it('lists the catalog with stock and creates one user per role', { timeout: 180_000 }, async () => {
    const seeded = await seedDemo(t.platform, { password });
    const catalog = demoCatalog();
    const stocked = catalog.filter((p) => p.stock > 0).length;
    expect(seeded).toEqual({
      streamsWritten: catalog.length + stocked,
      products: catalog.length,
      usersCreated: DEMO_USERS.map((u) => u.email),
    });
    expect(await eventCount()).toBe(catalog.length + stocked);

    await expect
      .poll(async () => (await t.app.inject({ method: 'GET', url: '/products?pageSize=1' })).json().total, {
        timeout: 60_000,
      })
      .toBe(catalog.length);
    await expect
      .poll(
        async () =>
          (await t.app.inject({ method: 'GET', url: '/products?inStock=true&pageSize=1' })).json().total,
        { timeout: 60_000 },
      )
      .toBe(stocked);
    const all = (await t.app.inject({ method: 'GET', url: '/products?pageSize=1' })).json();
    expect(all.facets.category.length).toBeGreaterThanOrEqual(5);
    const first = catalog[0]!;
    expect((await t.app.inject({ method: 'GET', url: `/products/${first.sku}` })).json()).toMatchObject({
      sku: first.sku,
      title: first.title,
      price: first.price,
      available: first.stock,
    });

    for (const { email, role } of DEMO_USERS) {
      const response = await login(email);
      expect(response.statusCode).toBe(200);
      expect(response.json().user.role).toBe(role);
    }
  });

  it('adds nothing when run again', async () => {
    const before = await eventCount();
    const again = await seedDemo(t.platform, { password: 'another password!' });
    expect(again).toMatchObject({ streamsWritten: 0, usersCreated: [] });
    expect(await eventCount()).toBe(before);
    expect((await login('admin@demo.local')).statusCode).toBe(200);
  });
});

describe('an interrupted demo seed', () => {
  let t: TestApp;
  beforeAll(async () => (t = await testApp('embedded')));
  afterAll(() => t.close());

  it('resumes where it stopped, writing each missing stream once', { timeout: 180_000 }, async () => {
    const catalog = demoCatalog();
    const [first, second] = catalog;
    const productDetails = (sku: string) => {
      const { stock: _stock, listedAt: _listedAt, ...details } = catalog.find((p) => p.sku === sku)!;
      return details;
    };
    // As if a first run had written two listings, one with other events than the seed's, then crashed.
    const listing = (sku: string, title: string) => ({
      stream: `product-${sku}`,
      events: [
        {
          type: 'ProductListed',
          data: { ...productDetails(sku), title, at: new Date().toISOString() },
          metadata: {
            correlationId: 'x',
            causationId: null,
            actor: { id: 'admin', role: 'admin' },
            occurredAt: new Date().toISOString(),
          },
        },
      ],
    });
    await appendNewStreams(t.platform.store, [
      listing(first!.sku, 'Edited by an admin'),
      listing(second!.sku, 'Also edited'),
    ]);
    const seeded = await seedDemo(t.platform, { password });
    const stocked = catalog.filter((p) => p.stock > 0).length;
    expect(seeded.streamsWritten).toBe(catalog.length - 2 + stocked);
    const [{ n }] = (await t.platform.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM es_events`,
    )) as [{ n: number }];
    expect(n).toBe(catalog.length + stocked);
    expect((await t.platform.store.readStream(`product-${first!.sku}`))[0]!.data).toMatchObject({
      title: 'Edited by an admin',
    });
  });
});

describe('the start-up seed', () => {
  it('seeds nothing in the services profile unless SEED_DEMO=true, but creates ADMIN_EMAIL once', async () => {
    const t = await testApp('postgres', {
      ADMIN_EMAIL: 'boss@example.com',
      ADMIN_PASSWORD: 'boss password 1',
    });
    try {
      await seedDemoAtStartup(t.platform);
      await seedDemoAtStartup(t.platform);
      expect(await t.platform.db.query(`SELECT 1 FROM es_events`)).toEqual([]);
      const users = await t.platform.db.query<{ email: string; role: string }>(
        `SELECT email, role FROM users`,
      );
      expect(users).toEqual([{ email: 'boss@example.com', role: 'admin' }]);
    } finally {
      await t.close();
    }
  });

  it('refuses a DEMO_PASSWORD too short to sign in with, at start-up', () => {
    expect(() => loadConfig({ DEMO_PASSWORD: 'short' })).toThrow(/DEMO_PASSWORD: must be at least 10/);
  });
});
