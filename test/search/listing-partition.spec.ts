import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from '../cache/redis.ts';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { serviceUrl } from '../support/services.ts';
import { CATALOG, dropIndices, shopFloor, uniquePrefix, until } from './support.ts';

// Browsing through a partition (services profile), with PostgreSQL frozen on a server of this test's
// own: every listing page of the browse mix answers as it did, kept or searched in Elasticsearch, and
// nothing on the way to it waits for the database.

const PAGES = [
  'category=Tools&pageSize=24',
  'category=Kitchen&sort=price_asc&page=2&pageSize=2',
  'brand=Bosk&inStock=true',
  'q=drill',
  'minPrice=1000&maxPrice=15000&sort=price_asc',
  'sort=newest',
];

describe('listing pages with the database cut off (PostgreSQL, Redis, Elasticsearch)', () => {
  let server: OwnPostgres;
  let t: TestApp;
  const prefix = uniquePrefix('listing-partition');
  const redis = testRedis('listing-partition');
  const get = (query: string) => t.app.inject({ method: 'GET', url: `/products?${query}` });

  beforeAll(async () => {
    server = await startOwnPostgres();
    t = await testApp('embedded', {
      DATABASE_URL: server.url,
      ...redis.env,
      ELASTICSEARCH_URL: serviceUrl('ELASTICSEARCH_URL'),
      ELASTICSEARCH_INDEX_PREFIX: prefix,
    });
    const floor = shopFloor(t.platform);
    for (const fixture of CATALOG) await floor.list(fixture);
    await until(
      'the catalog in the listings',
      async () => (await get('pageSize=100')).json().total === 9,
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    server?.thaw();
    await t?.close();
    await server?.stop();
    await redis.close();
    await dropIndices(serviceUrl('ELASTICSEARCH_URL'), prefix);
  });

  it('answers every page as before while the database answers nothing, and pages nobody asked for too', async () => {
    const before = new Map<string, string>();
    for (const page of PAGES) before.set(page, (await get(page)).body);
    server.freeze();
    try {
      for (const page of PAGES) {
        const started = Date.now();
        const response = await get(page);
        expect(response.statusCode, page).toBe(200);
        expect(response.body, page).toBe(before.get(page));
        // Not after a database timeout: the answer never went near the database.
        expect(Date.now() - started, page).toBeLessThan(1_000);
      }
      const unasked = await get('q=kettle&sort=price_desc&pageSize=7');
      expect(unasked.statusCode).toBe(200);
      expect(unasked.json().items.map((i: { sku: string }) => i.sku)).toEqual(['KETTLE-1']);
      expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
    } finally {
      server.thaw();
    }
  }, 120_000);
});
