import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import type { CatalogFilters } from '../../src/projections/catalog/types.ts';
import { listingJson } from '../../src/search/listing-pages.ts';
import { testRedis } from '../cache/redis.ts';
import { serviceUrl } from '../support/services.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { at, CATALOG, dropIndices, shopFloor, uniquePrefix, until } from './support.ts';

// Listing pages over HTTP as shoppers browse them, kept between requests: each answer is the search
// engine's own (what GET /products answered before anything was kept), and a new product, a price
// change and a SKU selling out show on the pages they change within the projection lag bound.
// Embedded: the in-process index, answers kept in the process. Services: Elasticsearch, answers in
// Redis shared with a second, API-only process (ROLE=api) that runs no projection at all.

/** Pages of the browse mix, with the filters the route makes of them. */
const PAGES: [string, Partial<CatalogFilters>][] = [
  ['category=Tools&pageSize=24', { category: 'Tools', pageSize: 24 }],
  [
    'category=Kitchen&sort=price_asc&page=2&pageSize=2',
    { category: 'Kitchen', sort: 'price_asc', page: 2, pageSize: 2 },
  ],
  ['brand=Bosk&inStock=true', { brand: 'Bosk', inStock: true }],
  ['q=drill', { q: 'drill' }],
  ['q=DRILL%20', { q: 'DRILL ' }],
  ['minPrice=1000&maxPrice=15000&sort=price_asc', { minPrice: 1000, maxPrice: 15000, sort: 'price_asc' }],
  ['sort=newest', { sort: 'newest' }],
  ['attr=colour:red&attr=colour:green', { attributes: { colour: ['red', 'green'] } }],
];
const asFilters = (given: Partial<CatalogFilters>): CatalogFilters => ({ page: 1, pageSize: 20, ...given });
const skus = (body: string) => (JSON.parse(body) as { items: { sku: string }[] }).items.map((i) => i.sku);

type Shop = { platform: Platform; app: FastifyInstance };

describe.each(['embedded', 'services'] as const)('listing pages kept between requests (%s)', (profile) => {
  let t: TestApp;
  let apiOnly: Shop | undefined;
  let floor: ReturnType<typeof shopFloor>;
  const prefix = uniquePrefix('listings');
  const redis = profile === 'services' ? testRedis('listings') : undefined;
  const shops = (): Shop[] => [t, ...(apiOnly ? [apiOnly] : [])];
  const get = (shop: Shop, query: string) => shop.app.inject({ method: 'GET', url: `/products?${query}` });
  /** The engine's answer, searched now, as the route would send it. */
  const engineAnswer = async (given: Partial<CatalogFilters>) =>
    listingJson(asFilters(given), await t.platform.search.searchCatalog(asFilters(given)));

  /** Waits until every shop's page passes `check`; the time it took must stay within the lag bound. */
  async function visibleWithinBound(query: string, check: (body: string) => boolean) {
    const started = Date.now();
    for (const shop of shops())
      await until(`${query} changes`, async () => check((await get(shop, query)).body), 30_000);
    expect(Date.now() - started, query).toBeLessThanOrEqual(t.platform.config.PROJECTION_LAG_BOUND_MS);
  }

  async function expectEngineAnswers() {
    for (const [query, given] of PAGES) {
      const expected = await engineAnswer(given);
      for (const shop of shops()) {
        const response = await get(shop, query);
        expect(response.statusCode, query).toBe(200);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(response.body, `${profile} ${query}`).toBe(expected);
      }
    }
  }

  beforeAll(async () => {
    const services = redis && {
      ...redis.env,
      ELASTICSEARCH_URL: serviceUrl('ELASTICSEARCH_URL'),
      ELASTICSEARCH_INDEX_PREFIX: prefix,
    };
    t = await testApp(services ? 'postgres' : 'embedded', services ?? {});
    floor = shopFloor(t.platform);
    for (const fixture of CATALOG) await floor.list(fixture);
    await floor.product('LAMP-1', { type: 'DelistProduct', data: { sku: 'LAMP-1', at: at(12) } });
    if (services) {
      const platform = await openPlatform(
        loadConfig({
          DATA_DIR: 'memory://',
          JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
          LOG_LEVEL: 'silent',
          ...services,
          DATABASE_URL: t.platform.config.DATABASE_URL!,
          ROLE: 'api',
        }),
      );
      const app = await buildServer(platform);
      await app.ready();
      apiOnly = { platform, app };
    }
    for (const shop of shops())
      await until(
        'the catalog in the listings',
        async () => skus((await get(shop, 'pageSize=100')).body).length === 8,
      );
  }, 120_000);

  afterAll(async () => {
    await apiOnly?.app.close();
    await apiOnly?.platform.close();
    await t?.close();
    await redis?.close();
    if (profile === 'services') await dropIndices(serviceUrl('ELASTICSEARCH_URL'), prefix);
  });

  it('answers each page as the engine does, the same every time, and keeps it in the process', async () => {
    await expectEngineAnswers();
    await expectEngineAnswers();
    // Asked before: the page is at hand in the process, sent without waiting for anything.
    for (const shop of shops())
      await until(
        'a kept page',
        async () => typeof shop.platform.search.listings!.answer(asFilters({ q: 'drill' })) === 'string',
      );
    // One question asked in two ways is one kept answer.
    expect((await get(t, 'q=drill')).body).toBe((await get(t, 'q=%20Drill!')).body);
  });

  it('shows a new product on the pages it belongs to within the projection lag bound', async () => {
    await expectEngineAnswers();
    await floor.list({
      sku: 'DRILL-3',
      title: 'Impact Drill',
      brand: 'Bosk',
      category: 'Tools',
      amount: 9_500,
      attributes: { colour: 'green' },
      description: 'Drives screws',
      stock: 4,
      minute: 30,
    });
    await visibleWithinBound('category=Tools&pageSize=24', (body) => skus(body).includes('DRILL-3'));
    await visibleWithinBound('brand=Bosk&inStock=true', (body) => skus(body).includes('DRILL-3'));
    await visibleWithinBound('q=drill', (body) => skus(body).includes('DRILL-3'));
    await visibleWithinBound('sort=newest', (body) => skus(body)[0] === 'DRILL-3');
    await expectEngineAnswers();
  });

  it('shows a price change in order, range and price facets within the projection lag bound', async () => {
    await expectEngineAnswers();
    await floor.product('KETTLE-1', {
      type: 'ChangePrice',
      data: { sku: 'KETTLE-1', price: { amount: 500, currency: 'USD' }, at: at(40) },
    });
    await visibleWithinBound(
      'minPrice=1000&maxPrice=15000&sort=price_asc',
      (body) => !skus(body).includes('KETTLE-1'),
    );
    await visibleWithinBound('category=Kitchen&sort=price_asc&page=2&pageSize=2', (body) =>
      JSON.parse(body).facets.price.some(
        (r: { from: number; count: number }) => r.from === 0 && r.count === 2,
      ),
    );
    await expectEngineAnswers();
  });

  it('drops a SKU that sold out from the in-stock pages and shows it unavailable elsewhere, within the bound', async () => {
    await expectEngineAnswers();
    // The last three units reserved by a checkout.
    await floor.inventory('SAW-1', {
      type: 'ReserveStock',
      data: {
        sku: 'SAW-1',
        reservationId: 'order-sells-out',
        quantity: 3,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        now: new Date().toISOString(),
      },
    });
    await visibleWithinBound('brand=Bosk&inStock=true', (body) => !skus(body).includes('SAW-1'));
    await visibleWithinBound('category=Tools&pageSize=24', (body) =>
      JSON.parse(body).items.some(
        (i: { sku: string; available: number }) => i.sku === 'SAW-1' && i.available === 0,
      ),
    );
    await expectEngineAnswers();
  });
});
