import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import {
  PRODUCT_PAGE_TTL_MS,
  productPageEviction,
  redisProductPages,
} from '../../src/cache/product-pages.ts';
import { streams } from '../../src/commands/index.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { InventoryCommand } from '../../src/domain/inventory/index.ts';
import type { ProductCommand } from '../../src/domain/product/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { productPage, type ProductPage } from '../../src/projections/catalog/index.ts';
import { WrittenRevisions } from '../../src/projections/catalog/product-cache.ts';
import { compareCheckpoints, loadCheckpoint } from '../../src/subscriptions/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testRedis } from './redis.ts';
import { waitUntil } from './wait.ts';

const context = () => ({ actor: { id: 'spec', role: 'admin' }, correlationId: uuidv7() });
const listing = (sku: string, amount: number): ProductCommand => ({
  type: 'ListProduct',
  data: {
    sku,
    title: `Title ${sku}`,
    description: `About ${sku}`,
    brand: 'Acme',
    category: 'Lamps',
    attributes: { watts: 40 },
    price: { amount, currency: 'USD' },
    at: new Date().toISOString(),
  },
});

describe('product pages in Redis (PostgreSQL)', () => {
  const redis = testRedis('product-pages');
  let t: TestApp;
  const pageKey = (sku: string) => `${redis.prefix}product-page:{${sku}}`;
  const seenKey = (sku: string) => `${redis.prefix}product-written:{${sku}}`;
  const product = (sku: string, command: ProductCommand) =>
    t.platform.commands.product.handle(streams.product(sku), command, context());
  const inventory = (sku: string, command: InventoryCommand) =>
    t.platform.commands.inventory.handle(streams.inventory(sku), command, context());
  const get = async (sku: string) => {
    const response = await t.app.inject({ method: 'GET', url: `/products/${sku}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { price: { amount: number }; available: number };
  };
  const skuEvents = async (sku: string) => [
    ...(await t.platform.store.readStream(streams.product(sku))),
    ...(await t.platform.store.readStream(streams.inventory(sku))),
  ];
  /** Until the eviction projection has passed every event of the SKU's streams. */
  const evictorPassed = (sku: string) =>
    waitUntil(`the evictor passed ${sku}`, async () => {
      const at = await loadCheckpoint(t.platform.db, 'redis-product-page-eviction');
      return (await skuEvents(sku)).every((e) => compareCheckpoints(at, e.checkpoint) >= 0);
    });
  const inCatalog = (
    sku: string,
    check: (page: { price: { amount: number }; available: number }) => boolean,
  ) =>
    waitUntil(`${sku} is in the catalog`, async () => {
      const response = await t.app.inject({ method: 'GET', url: `/products/${sku}` });
      return response.statusCode === 200 && check(response.json());
    });

  beforeAll(async () => {
    t = await testApp('postgres', redis.env);
  });
  afterAll(async () => {
    await t.close();
    await redis.close();
  });

  it('caches the page JSON under a key of its SKU for 30 minutes, and serves it without SQL', async () => {
    await product('LAMP-1', listing('LAMP-1', 2_500));
    await inventory('LAMP-1', { type: 'ReceiveStock', data: { sku: 'LAMP-1', quantity: 4 } });
    await inCatalog('LAMP-1', (page) => page.available === 4);
    const response = await t.app.inject({ method: 'GET', url: '/products/LAMP-1' });
    expect(await redis.redis.hget(pageKey('LAMP-1'), 'json')).toBe(response.body);
    const ttl = await redis.redis.pttl(pageKey('LAMP-1'));
    expect(ttl).toBeGreaterThan(PRODUCT_PAGE_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);
    let queries = 0;
    const counting: SqlClient = {
      ...t.platform.db,
      query: (sql, params) => (queries++, t.platform.db.query(sql, params)),
    };
    const page = await productPage(counting, 'LAMP-1', t.platform.readModels.productPages);
    expect(page?.document).toMatchObject({ sku: 'LAMP-1', price: { amount: 2500 }, available: 4 });
    expect(queries).toBe(0);
  });

  it('reports Redis in /ready', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(response.json()).toMatchObject({ checks: { redis: 'ok' } });
  });

  it('evicts the page on a product event: the next read shows the change', async () => {
    await product('LAMP-2', listing('LAMP-2', 1_000));
    await inCatalog('LAMP-2', (page) => page.price.amount === 1_000);
    expect(await redis.redis.exists(pageKey('LAMP-2'))).toBe(1);
    await product('LAMP-2', {
      type: 'ChangePrice',
      data: { sku: 'LAMP-2', price: { amount: 900, currency: 'USD' }, at: new Date().toISOString() },
    });
    await evictorPassed('LAMP-2');
    expect(await redis.redis.hget(seenKey('LAMP-2'), 'product')).toBe('2');
    // Gone, or put back by a reader only once the catalog showed the new price.
    expect(await redis.redis.hget(pageKey('LAMP-2'), 'product')).not.toBe('1');
    await inCatalog('LAMP-2', (page) => page.price.amount === 900);
    expect(JSON.parse((await redis.redis.hget(pageKey('LAMP-2'), 'json'))!)).toMatchObject({
      price: { amount: 900 },
    });
  });

  it('evicts the page on stock events that change what is available, not on a commit', async () => {
    await product('LAMP-3', listing('LAMP-3', 1_000));
    await inventory('LAMP-3', { type: 'ReceiveStock', data: { sku: 'LAMP-3', quantity: 5 } });
    await inCatalog('LAMP-3', (page) => page.available === 5);
    const now = new Date().toISOString();
    await inventory('LAMP-3', {
      type: 'ReserveStock',
      data: {
        sku: 'LAMP-3',
        reservationId: 'order-1',
        quantity: 2,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        now,
      },
    });
    await inCatalog('LAMP-3', (page) => page.available === 3);
    await evictorPassed('LAMP-3');
    await get('LAMP-3');
    expect(await redis.redis.hmget(pageKey('LAMP-3'), 'stock')).toEqual(['2']);
    await inventory('LAMP-3', { type: 'CommitReservation', data: { reservationId: 'order-1', now } });
    await evictorPassed('LAMP-3');
    // Available is still 3: the page read at stock revision 2 stays.
    expect(await redis.redis.hmget(pageKey('LAMP-3'), 'stock')).toEqual(['2']);
    expect(await get('LAMP-3')).toMatchObject({ available: 3 });
    await inventory('LAMP-3', { type: 'AdjustStock', data: { sku: 'LAMP-3', delta: -1, reason: 'broken' } });
    await evictorPassed('LAMP-3');
    expect(await redis.redis.hget(pageKey('LAMP-3'), 'stock')).not.toBe('2');
    await inCatalog('LAMP-3', (page) => page.available === 2);
  });

  it('refuses a page read before a change whose eviction came first, and keeps one read after it', async () => {
    const pages = redisProductPages({ redis: redis.redis, prefix: redis.prefix }, new WrittenRevisions());
    const page = (price: number): ProductPage => ({
      json: JSON.stringify({ sku: 'RACE-1', price }),
      document: {} as never,
    });
    await pages.offer('RACE-1', page(10), { product: 1, stock: 0 });
    expect((await pages.get('RACE-1'))?.json).toBe(page(10).json);
    // The catalog commits revision 2; the evictor sees it and deletes the page...
    await pages.evict('RACE-1', 'product', 2);
    expect(await pages.get('RACE-1')).toBeUndefined();
    // ...and a reader that read revision 1 before that commit puts its copy only now: refused.
    await pages.offer('RACE-1', page(10), { product: 1, stock: 0 });
    expect(await pages.get('RACE-1')).toBeUndefined();
    await pages.offer('RACE-1', page(20), { product: 2, stock: 0 });
    expect((await pages.get('RACE-1'))?.json).toBe(page(20).json);
    // An older page never replaces a newer one, and a re-delivered eviction keeps the page it already shows.
    await pages.offer('RACE-1', page(10), { product: 1, stock: 0 });
    await pages.evict('RACE-1', 'product', 2);
    expect((await pages.get('RACE-1'))?.json).toBe(page(20).json);
    await pages.evict('RACE-1', 'stock', 1);
    expect(await pages.get('RACE-1')).toBeUndefined();
  });

  it('does not serve a page older than what this process’s own catalog projection has written', async () => {
    const written = new WrittenRevisions();
    const pages = redisProductPages({ redis: redis.redis, prefix: redis.prefix }, written);
    const page: ProductPage = { json: '{"sku":"RACE-2"}', document: {} as never };
    await pages.offer('RACE-2', page, { product: 3, stock: 1 });
    expect((await pages.get('RACE-2'))?.json).toBe(page.json);
    written.raise('RACE-2', 'stock', 2); // committed here, not yet seen by the evictor
    expect(await pages.get('RACE-2')).toBeUndefined();
  });

  it('changes nothing when an eviction batch is delivered again', async () => {
    await product('LAMP-4', listing('LAMP-4', 1_000));
    await inventory('LAMP-4', { type: 'ReceiveStock', data: { sku: 'LAMP-4', quantity: 1 } });
    await inCatalog('LAMP-4', (page) => page.available === 1);
    await evictorPassed('LAMP-4');
    await get('LAMP-4');
    const events: RecordedEvent[] = await skuEvents('LAMP-4');
    const before = {
      pages: await redis.snapshot('product-page'),
      seen: await redis.snapshot('product-written'),
    };
    expect(before.pages[pageKey('LAMP-4')]).toMatchObject({ product: '1', stock: '1' });
    const eviction = productPageEviction(
      redisProductPages({ redis: redis.redis, prefix: redis.prefix }, new WrittenRevisions()),
    );
    for (let round = 0; round < 2; round++) {
      await eviction.apply(events);
      for (const event of events) await eviction.apply([event]);
    }
    expect({
      pages: await redis.snapshot('product-page'),
      seen: await redis.snapshot('product-written'),
    }).toEqual(before);
  });
});
