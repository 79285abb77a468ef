import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogFilters, CatalogPage } from '../../src/projections/catalog/queries.ts';
import { CATALOG_SEARCH_PROJECTION } from '../../src/search/index.ts';
import { serviceUrl } from '../support/services.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { dropIndices, filters, shopFloor, uniquePrefix, until } from './support.ts';

/**
 * One contract for every catalog search adapter: the in-process index (embedded, beside PGlite),
 * PostgreSQL full-text search on PostgreSQL 15, and Elasticsearch fed by its projection. The same catalog goes into each, and each
 * must give the one right answer, and the same answers as the others.
 */
const ENGINES = ['embedded', 'postgres', 'elasticsearch'] as const;
type Engine = (typeof ENGINES)[number];

const prefix = uniquePrefix('contract');
const apps = new Map<Engine, TestApp>();
const floors = new Map<Engine, ReturnType<typeof shopFloor>>();
const search = (engine: Engine, given: Partial<CatalogFilters> = {}) =>
  apps.get(engine)!.platform.search.searchCatalog(filters(given));
const skus = (page: CatalogPage) => page.items.map((item) => item.sku);
const projectionOf = (engine: Engine) => (engine === 'elasticsearch' ? CATALOG_SEARCH_PROJECTION : 'catalog');

beforeAll(async () => {
  const opened = await Promise.all([
    testApp('embedded'),
    testApp('postgres'),
    testApp('embedded', {
      ELASTICSEARCH_URL: serviceUrl('ELASTICSEARCH_URL'),
      ELASTICSEARCH_INDEX_PREFIX: prefix,
    }),
  ]);
  ENGINES.forEach((engine, i) => apps.set(engine, opened[i]!));
  await Promise.all(
    ENGINES.map(async (engine) => {
      const floor = shopFloor(apps.get(engine)!.platform);
      floors.set(engine, floor);
      await floor.loadCatalog();
      await floor.caughtUp(projectionOf(engine));
      // The in-process index follows the log on its own, from where the catalog read model was.
      await until('the catalog in the search', async () => (await search(engine)).total === 8);
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([...apps.values()].map((t) => t.close()));
  await dropIndices(serviceUrl('ELASTICSEARCH_URL'), prefix);
});

describe.each(ENGINES)('catalog search (%s)', (engine) => {
  it('uses the engine its configuration asks for', () => {
    expect(apps.get(engine)!.platform.search.engine).toBe(
      { embedded: 'in-process', postgres: 'postgres', elasticsearch: 'elasticsearch' }[engine],
    );
  });

  it('finds every word in title, brand or description, title matches first', async () => {
    const page = await search(engine, { q: 'drill' });
    expect(skus(page).sort()).toEqual(['DRILL-1', 'DRILL-2', 'MUG-1', 'SAW-1']);
    expect(page.total).toBe(4);
    // SAW-1 has "drill" only in its description: below every title match.
    expect(skus(page).at(-1)).toBe('SAW-1');
    expect(skus(await search(engine, { q: 'brewster' })).sort()).toEqual(['KETTLE-1', 'TOASTER-1']);
    // Words may be in different fields (brand and title), but every one must be somewhere.
    expect(skus(await search(engine, { q: 'Bosk saw' }))).toEqual(['SAW-1']);
    expect(skus(await search(engine, { q: 'bosk kettle' }))).toEqual([]);
  });

  it('matches the last word as a prefix, the others whole', async () => {
    expect(skus(await search(engine, { q: 'cordless dri' })).sort()).toEqual(['DRILL-1', 'SAW-1']);
    expect(skus(await search(engine, { q: 'toas' }))).toEqual(['TOASTER-1']);
    expect(skus(await search(engine, { q: 'toas bread' }))).toEqual([]);
  });

  it('finds nothing for unknown words, with empty facets, and ignores punctuation', async () => {
    const page = await search(engine, { q: 'xylophone' });
    expect(page).toEqual({ items: [], total: 0, facets: { category: [], brand: [], price: [] } });
    expect(skus(await search(engine, { q: '  "kettle"!!  ' }))).toEqual(['KETTLE-1']);
    expect((await search(engine, { q: ' ?! ' })).total).toBe(8);
  });

  it('shows the changed title and price, never a delisted product', async () => {
    const [phones] = (await search(engine, { q: 'headphones pro' })).items;
    expect(phones).toEqual({
      sku: 'PHONES-1',
      title: 'Wireless Headphones Pro',
      price: { amount: 17999, currency: 'USD' },
      brand: 'Sonik',
      category: 'Audio',
      attributes: { colour: 'black', wireless: true },
      available: 7,
    });
    expect((await search(engine, { q: 'lamp' })).total).toBe(0);
    expect(skus(await search(engine, { pageSize: 100 }))).not.toContain('LAMP-1');
  });

  it('filters by category, brand, price range and stock', async () => {
    expect(skus(await search(engine, { category: 'Kitchen', sort: 'price_asc' }))).toEqual([
      'MUG-1',
      'KETTLE-1',
      'TOASTER-1',
    ]);
    expect(skus(await search(engine, { brand: 'Lumo' }))).toEqual(['BULB-1']);
    expect(skus(await search(engine, { minPrice: 3000, maxPrice: 14999, sort: 'price_asc' }))).toEqual([
      'TOASTER-1',
      'DRILL-1',
      'DRILL-2',
      'SAW-1',
    ]);
    const tools = await search(engine, { category: 'Tools', inStock: true });
    expect(skus(tools).sort()).toEqual(['DRILL-1', 'SAW-1']);
    expect(tools.items.every((item) => item.available > 0)).toBe(true);
    expect(skus(await search(engine, { q: 'drill', category: 'Kitchen' }))).toEqual(['MUG-1']);
  });

  it('filters by attributes: text, numbers and booleans, any value of a name, every name', async () => {
    const by = async (attributes: Record<string, string[]>) =>
      skus(await search(engine, { attributes, sort: 'price_asc' }));
    expect(await by({ colour: ['red'] })).toEqual(['KETTLE-1', 'TOASTER-1']);
    expect(await by({ colour: ['red', 'white'] })).toEqual(['MUG-1', 'KETTLE-1', 'TOASTER-1']);
    expect(await by({ volts: ['18'] })).toEqual(['DRILL-1', 'DRILL-2']);
    expect(await by({ volts: ['18.0'] })).toEqual([]);
    expect(await by({ cordless: ['true'], colour: ['green'] })).toEqual(['DRILL-1', 'SAW-1']);
    expect(await by({ cordless: ['false'] })).toEqual(['DRILL-2']);
    expect(await by({ litres: ['1.7'] })).toEqual(['KETTLE-1']);
    expect(await by({ colour: ['Red'] })).toEqual([]);
    expect(await by({ shape: ['round'] })).toEqual([]);
  });

  it('counts facets over every match, not just the page', async () => {
    const page = await search(engine, { pageSize: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.total).toBe(8);
    expect(page.facets).toEqual({
      category: [
        { value: 'Kitchen', count: 3 },
        { value: 'Tools', count: 3 },
        { value: 'Audio', count: 1 },
        { value: 'Lighting', count: 1 },
      ],
      brand: [
        { value: 'Bosk', count: 2 },
        { value: 'Brewster', count: 2 },
        { value: 'Cupco', count: 1 },
        { value: 'Lumo', count: 1 },
        { value: 'Makito', count: 1 },
        { value: 'Sonik', count: 1 },
      ],
      price: [
        { from: 0, to: 1000, count: 2 },
        { from: 2500, to: 5000, count: 2 },
        { from: 5000, to: 10000, count: 1 },
        { from: 10000, to: 25000, count: 3 },
      ],
    });
    const drills = await search(engine, { q: 'drill', inStock: true });
    expect(drills.facets.category).toEqual([
      { value: 'Tools', count: 2 },
      { value: 'Kitchen', count: 1 },
    ]);
  });

  it('sorts by price, newest and title, the SKU breaking ties', async () => {
    const all = async (sort: CatalogFilters['sort']) => skus(await search(engine, { sort }));
    expect(await all('price_asc')).toEqual([
      'BULB-1',
      'MUG-1',
      'KETTLE-1',
      'TOASTER-1',
      'DRILL-1',
      'DRILL-2',
      'SAW-1',
      'PHONES-1',
    ]);
    expect(await all('price_desc')).toEqual((await all('price_asc')).reverse());
    const newest = ['BULB-1', 'PHONES-1', 'MUG-1', 'TOASTER-1', 'KETTLE-1', 'SAW-1', 'DRILL-2', 'DRILL-1'];
    expect(await all('newest')).toEqual(newest);
    expect(await all(undefined)).toEqual(newest);
    // Relevance without words to rank by falls back to the newest first.
    expect(await all('relevance')).toEqual(newest);
    expect(await all('title')).toEqual([
      'SAW-1',
      'DRILL-1',
      'MUG-1',
      'KETTLE-1',
      'DRILL-2',
      'BULB-1',
      'TOASTER-1',
      'PHONES-1',
    ]);
  });

  it('pages through every match once, in order, with the same total on each page', async () => {
    const pages = await Promise.all(
      [1, 2, 3, 4].map((page) => search(engine, { sort: 'price_desc', page, pageSize: 3 })),
    );
    expect(pages.map((p) => p.total)).toEqual([8, 8, 8, 8]);
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 2, 0]);
    expect(pages.flatMap(skus)).toEqual(skus(await search(engine, { sort: 'price_desc' })));
  });

  it('drops a product from in-stock results soon after it sells out, and brings it back on restock', async () => {
    const floor = floors.get(engine)!;
    const inStockToasters = async () => skus(await search(engine, { q: 'toaster', inStock: true }));
    expect(await inStockToasters()).toEqual(['TOASTER-1']);
    expect((await search(engine, { category: 'Kitchen', inStock: true })).total).toBe(3);
    await floor.inventory('TOASTER-1', {
      type: 'AdjustStock',
      data: { sku: 'TOASTER-1', delta: -2, reason: 'dropped on the floor' },
    });
    await expect.poll(inStockToasters, { timeout: 30_000, interval: 50 }).toEqual([]);
    expect((await search(engine, { q: 'toaster' })).items[0]?.available).toBe(0);
    // Counts follow too (the SQL adapter reuses counts only while the catalog is unchanged).
    expect((await search(engine, { q: 'toaster', inStock: true })).total).toBe(0);
    expect((await search(engine, { category: 'Kitchen', inStock: true })).facets.brand).toEqual([
      { value: 'Brewster', count: 1 },
      { value: 'Cupco', count: 1 },
    ]);
    await floor.inventory('TOASTER-1', { type: 'ReceiveStock', data: { sku: 'TOASTER-1', quantity: 2 } });
    await expect.poll(inStockToasters, { timeout: 30_000, interval: 50 }).toEqual(['TOASTER-1']);
    expect((await search(engine, { category: 'Kitchen', inStock: true })).facets.brand).toEqual([
      { value: 'Brewster', count: 2 },
      { value: 'Cupco', count: 1 },
    ]);
  });

  it('counts a product in its new price range once its price changes', async () => {
    const floor = floors.get(engine)!;
    const priceFacet = async (filters: Partial<CatalogFilters>) =>
      (await search(engine, filters)).facets.price.filter((range) => range.from >= 50_000);
    const reprice = (amount: number, minute: number) =>
      floor.product('TOASTER-1', {
        type: 'ChangePrice',
        data: {
          sku: 'TOASTER-1',
          price: { amount, currency: 'USD' },
          at: new Date(Date.UTC(2025, 1, 1, 0, minute)).toISOString(),
        },
      });
    // Asked once before the change, so a count kept from then would show.
    for (const filters of [{ category: 'Kitchen' }, { q: 'toaster' }])
      expect(await priceFacet(filters)).toEqual([]);
    await reprice(60_000, 1);
    const moved = [{ from: 50_000, to: 100_000, count: 1 }];
    await expect
      .poll(() => priceFacet({ category: 'Kitchen' }), { timeout: 30_000, interval: 50 })
      .toEqual(moved);
    await expect.poll(() => priceFacet({ q: 'toaster' }), { timeout: 30_000, interval: 50 }).toEqual(moved);
    await reprice(3499, 2);
    await expect.poll(() => priceFacet({ q: 'toaster' }), { timeout: 30_000, interval: 50 }).toEqual([]);
  });
});

describe('every adapter', () => {
  const QUERIES: Partial<CatalogFilters>[] = [
    {},
    { sort: 'price_asc', pageSize: 5 },
    { sort: 'price_desc', page: 2, pageSize: 3 },
    { sort: 'title' },
    { q: 'drill', sort: 'newest' },
    { q: 'w', sort: 'price_asc' },
    { q: 'cordless', attributes: { colour: ['green', 'blue'] }, sort: 'title' },
    { category: 'Kitchen', minPrice: 1000, sort: 'newest' },
    { brand: 'Bosk', inStock: true, sort: 'price_desc' },
    { maxPrice: 9000, attributes: { colour: ['red', 'white', 'green'] }, sort: 'price_asc' },
  ];

  it('answers the same for the same catalog (a sort that is not relevance)', async () => {
    for (const query of QUERIES) {
      const [embedded, postgres, elasticsearch] = await Promise.all(ENGINES.map((e) => search(e, query)));
      expect(postgres, JSON.stringify(query)).toEqual(embedded);
      expect(elasticsearch, JSON.stringify(query)).toEqual(embedded);
      expect(embedded!.total, JSON.stringify(query)).toBeGreaterThan(0);
    }
  });

  it('finds the same products by relevance, the best match first', async () => {
    for (const q of ['drill', 'bosk', 'cordless drill', 'wireless headphones p', 'white']) {
      const pages = await Promise.all(ENGINES.map((e) => search(e, { q })));
      const [embedded, ...others] = pages;
      expect(embedded!.total, q).toBeGreaterThan(0);
      for (const other of others) {
        expect(skus(other).sort(), q).toEqual(skus(embedded!).sort());
        expect(other.facets, q).toEqual(embedded!.facets);
        expect(other.items[0]?.sku, q).toBe(embedded!.items[0]?.sku);
      }
    }
  });
});

describe('GET /products', () => {
  const get = (engine: Engine, query: string) =>
    apps.get(engine)!.app.inject({ method: 'GET', url: `/products?${query}` });

  it.each(ENGINES)('takes words, attribute filters and a sort from the query string (%s)', async (engine) => {
    const response = await get(
      engine,
      'q=dri&attr=colour:green&attr=colour:blue&attr=volts:18&sort=price_desc',
    );
    expect(response.statusCode).toBe(200);
    const body = response.json<CatalogPage & { page: number; pageSize: number }>();
    expect(body.items.map((item) => item.sku)).toEqual(['DRILL-2', 'DRILL-1']);
    expect(body).toMatchObject({ total: 2, page: 1, pageSize: 20 });
    const one = await get(engine, 'attr=colour:white');
    expect(one.json<CatalogPage>().items.map((item) => item.sku)).toEqual(['MUG-1']);
  });

  it('refuses a malformed attribute filter, an unknown sort and unknown parameters', async () => {
    for (const query of ['attr=colour', 'attr=:red', 'sort=cheapest', 'colour=red', 'attr.colour=red']) {
      const response = await get('embedded', query);
      expect(response.statusCode, query).toBe(400);
    }
  });

  it('documents the attribute filter and the sorts in the OpenAPI document', async () => {
    const response = await apps.get('embedded')!.app.inject({ method: 'GET', url: '/openapi.json' });
    const text = response.body;
    expect(response.statusCode).toBe(200);
    expect(text).toContain('name:value');
    expect(text).toContain('relevance');
  });
});
