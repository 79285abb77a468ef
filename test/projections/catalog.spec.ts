import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { CommandContext } from '../../src/commands/command-handler.ts';
import { streams } from '../../src/commands/index.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { InventoryCommand } from '../../src/domain/inventory/index.ts';
import type { ProductCommand } from '../../src/domain/product/index.ts';
import type { Checkpoint, RecordedEvent } from '../../src/eventstore/event-store.ts';
import { createCatalogProjection, productBySku } from '../../src/projections/catalog/index.ts';
import { priceBucketOf } from '../../src/projections/catalog/queries.ts';
import { ProductCache, WrittenRevisions } from '../../src/projections/catalog/product-cache.ts';
import { applyBatch, loadCheckpoint } from '../../src/subscriptions/index.ts';
import { freshPGlite, freshPostgres, type TestDatabase } from '../support/databases.ts';
import { testApp, type TestApp } from '../support/platform.ts';

const context = (): CommandContext => ({ actor: { id: 'spec', role: 'admin' }, correlationId: uuidv7() });
const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const listing = (sku: string, minute: number, amount = 1000): ProductCommand => ({
  type: 'ListProduct',
  data: {
    sku,
    title: `Title ${sku}`,
    description: `About ${sku}`,
    brand: 'Acme',
    category: 'Tools',
    attributes: { colour: 'red', volts: 18, cordless: true },
    price: { amount, currency: 'USD' },
    at: at(minute),
  },
});

const productRows = (db: SqlClient) =>
  db.query(
    `SELECT sku, title, description, brand, category, attributes, price_amount::int AS price, currency, listed,
            listed_at::text AS listed_at, updated_at::text AS updated_at, revision::int AS revision
       FROM products ORDER BY sku`,
  );
/** The facet counts the projection keeps, and the same counted afresh from the products themselves. */
const facetCounts = (db: SqlClient) =>
  db.query(
    `SELECT category, brand, price_bucket, in_stock, products::int AS products FROM catalog_facet_counts
      WHERE products <> 0 ORDER BY 1, 2, 3, 4`,
  );
const facetCountsAfresh = (db: SqlClient) =>
  db.query(
    `SELECT p.category, p.brand, ${priceBucketOf('p.price_amount')} AS price_bucket,
            COALESCE(a.available, 0) > 0 AS in_stock, count(*)::int AS products
       FROM products p LEFT JOIN product_availability a ON a.sku = p.sku
      WHERE p.listed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
const stockRows = (db: SqlClient) =>
  db.query(
    `SELECT sku, on_hand::int AS on_hand, reserved::int AS reserved, available::int AS available,
            revision::int AS revision FROM product_availability ORDER BY sku`,
  );

it("counts the migration's facet counts in the price ranges the queries use", () => {
  const migration = readFileSync(
    new URL('../../migrations/0015_catalog_facet_counts.sql', import.meta.url),
    'utf8',
  );
  expect(migration).toContain(priceBucketOf('p.price_amount'));
});

describe('the product cache', () => {
  const revisions = (product: number, stock: number) => ({ product, stock });

  it('serves what it was offered until the projection writes something newer for that SKU', () => {
    const written = new WrittenRevisions();
    const cache = new ProductCache<string>(10_000, 3_000, Date.now, written);
    written.raise('CACHE-1', 'product', 3);
    cache.offer('CACHE-1', 'page at revision 3', revisions(3, 0));
    expect(cache.get('CACHE-1')).toBe('page at revision 3');
    written.raise('CACHE-1', 'stock', 1);
    expect(cache.get('CACHE-1')).toBeUndefined();
  });

  it('refuses a copy read before a write that has not committed yet', () => {
    const written = new WrittenRevisions();
    const cache = new ProductCache<string>(10_000, 3_000, Date.now, written);
    written.raise('CACHE-2', 'product', 5);
    cache.offer('CACHE-2', 'read just before the commit', revisions(4, 0));
    expect(cache.get('CACHE-2')).toBeUndefined();
    cache.offer('CACHE-2', 'read after the commit', revisions(5, 0));
    expect(cache.get('CACHE-2')).toBe('read after the commit');
  });

  it('forgets pages after their time and the least recently used page first', () => {
    let now = 0;
    const cache = new ProductCache<string>(2, 1_000, () => now);
    cache.offer('CACHE-A', 'a', revisions(0, 0));
    cache.offer('CACHE-B', 'b', revisions(0, 0));
    expect(cache.get('CACHE-A')).toBe('a');
    cache.offer('CACHE-C', 'c', revisions(0, 0));
    expect([cache.get('CACHE-A'), cache.get('CACHE-B'), cache.get('CACHE-C')]).toEqual(['a', undefined, 'c']);
    now = 1_000;
    expect(cache.get('CACHE-A')).toBeUndefined();
  });
});

describe.each(['embedded', 'postgres'] as const)('the catalog projection (%s)', (profile) => {
  let t: TestApp;
  /** Another database the same events are replayed into. */
  let replica: TestDatabase | undefined;
  /** Streams this suite wrote to: the projection has caught up once it has passed each one's last event. */
  const written = new Set<string>();
  const product = (sku: string, command: ProductCommand) => {
    written.add(streams.product(sku));
    return t.platform.commands.product.handle(streams.product(sku), command, context());
  };
  const inventory = (sku: string, command: InventoryCommand) => {
    written.add(streams.inventory(sku));
    return t.platform.commands.inventory.handle(streams.inventory(sku), command, context());
  };
  const allEvents = async () => {
    const events: RecordedEvent[] = [];
    for (let batch = await t.platform.store.readAll(); batch.events.length > 0;) {
      events.push(...batch.events);
      batch = await t.platform.store.readAll({ after: batch.next });
    }
    return events;
  };
  /**
   * Waits until the live projection has applied the last event of every stream written here (in a hook
   * too, unlike expect.poll). Not the last event of the global log: on PostgreSQL a commit shows there
   * only once older transactions, in any database of the server, have finished.
   */
  const caughtUp = async () => {
    const lasts = await Promise.all(
      [...written].map(
        async (id) =>
          (await t.platform.store.readStream(id, { direction: 'backward', maxCount: 1 }))[0]!.checkpoint,
      ),
    );
    // In log order, (transaction, position): other workers of the platform may append meanwhile.
    const passed = (c: Checkpoint, last: Checkpoint) =>
      BigInt(c.transactionId) > BigInt(last.transactionId) ||
      (c.transactionId === last.transactionId && c.globalPosition >= last.globalPosition);
    const reached = (c: Checkpoint) => lasts.every((last) => passed(c, last));
    for (const deadline = Date.now() + 20_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
      const checkpoint = await loadCheckpoint(t.platform.db, 'catalog');
      if (reached(checkpoint)) return;
      if (Date.now() > deadline)
        throw new Error(
          `the catalog projection is at ${JSON.stringify(checkpoint)}, not past ${JSON.stringify(lasts)}`,
        );
    }
  };

  beforeAll(async () => {
    t = await testApp(profile);
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 600_000).toISOString();
    await product('DRILL-1', listing('DRILL-1', 1));
    await product('DRILL-1', {
      type: 'ChangeProductDetails',
      data: {
        sku: 'DRILL-1',
        title: 'Drill',
        description: 'Cordless',
        brand: 'Bosk',
        category: 'Tools',
        attributes: { volts: 18 },
        at: at(2),
      },
    });
    await product('DRILL-1', {
      type: 'ChangePrice',
      data: { sku: 'DRILL-1', price: { amount: 8999, currency: 'USD' }, at: at(3) },
    });
    await product('SAW-1', listing('SAW-1', 4));
    await product('SAW-1', { type: 'DelistProduct', data: { sku: 'SAW-1', at: at(5) } });
    await product('SAW-1', listing('SAW-1', 6, 4500));
    await product('GONE-1', listing('GONE-1', 7));
    await product('GONE-1', { type: 'DelistProduct', data: { sku: 'GONE-1', at: at(8) } });

    await inventory('DRILL-1', { type: 'ReceiveStock', data: { sku: 'DRILL-1', quantity: 10 } });
    await inventory('DRILL-1', {
      type: 'AdjustStock',
      data: { sku: 'DRILL-1', delta: -1, reason: 'damaged' },
    });
    const reserve = (reservationId: string, quantity: number, expiresAt = later): InventoryCommand => ({
      type: 'ReserveStock',
      data: { sku: 'DRILL-1', reservationId, quantity, expiresAt, now },
    });
    await inventory('DRILL-1', reserve('order-committed', 3));
    await inventory('DRILL-1', reserve('order-released', 2));
    await inventory('DRILL-1', reserve('order-expired', 1, new Date(Date.now() + 1_000).toISOString()));
    await inventory('DRILL-1', {
      type: 'CommitReservation',
      data: { reservationId: 'order-committed', now },
    });
    await inventory('DRILL-1', {
      type: 'ReleaseReservation',
      data: { reservationId: 'order-released', reason: 'payment failed', now },
    });
    await inventory('DRILL-1', {
      type: 'ExpireReservations',
      data: { now: new Date(Date.now() + 5_000).toISOString() },
    });
    await inventory('DRILL-1', {
      type: 'ReturnReservation',
      data: { reservationId: 'order-committed', reason: 'cancelled', now },
    });
    await inventory('DRILL-1', reserve('order-active', 4));
    await inventory('WIDGET-9', { type: 'ReceiveStock', data: { sku: 'WIDGET-9', quantity: 2 } });
    await caughtUp();
  });
  afterAll(async () => {
    await replica?.drop();
    await t.close();
  });

  it('keeps each product document as its stream tells it, delisted and relisted ones included', async () => {
    const rows = await productRows(t.platform.db);
    expect(rows.map((r) => [r.sku, r.listed, r.price, r.revision])).toEqual([
      ['DRILL-1', true, 8999, 3],
      ['GONE-1', false, 1000, 2],
      ['SAW-1', true, 4500, 3],
    ]);
    expect(rows[0]).toMatchObject({
      title: 'Drill',
      description: 'Cordless',
      brand: 'Bosk',
      attributes: { volts: 18 },
    });
    // Listed again: still ranked by when it was first listed.
    expect(Date.parse(String(rows[2]!.listed_at))).toBe(Date.parse(at(4)));
    expect(Date.parse(String(rows[2]!.updated_at))).toBe(Date.parse(at(6)));
  });

  it('counts on hand, reserved and available exactly as the inventory stream does', async () => {
    const drill = (await t.platform.commands.inventory.load(streams.inventory('DRILL-1'))).state;
    expect([drill.onHand, drill.reserved]).toEqual([9, 4]);
    expect(await stockRows(t.platform.db)).toEqual([
      { sku: 'DRILL-1', on_hand: 9, reserved: 4, available: 5, revision: 10 },
      { sku: 'WIDGET-9', on_hand: 2, reserved: 0, available: 2, revision: 1 },
    ]);
    expect(await productBySku(t.platform.db, 'DRILL-1', t.platform.readModels.productPages)).toMatchObject({
      available: 5,
      price: { amount: 8999 },
    });
    expect(await productBySku(t.platform.db, 'WIDGET-9', t.platform.readModels.productPages)).toBeUndefined();
  });

  it.each([1, 3, 1000])(
    'builds the same rows when replayed from the start in batches of %i',
    async (size) => {
      replica ??= profile === 'postgres' ? await freshPostgres(4) : await freshPGlite();
      await replica.db.exec(
        `DELETE FROM products; DELETE FROM product_availability; DELETE FROM catalog_facet_counts`,
      );
      const events = await allEvents();
      for (let i = 0; i < events.length; i += size)
        await applyBatch(replica.db, createCatalogProjection(), events.slice(i, i + size));
      expect(await productRows(replica.db)).toEqual(await productRows(t.platform.db));
      expect(await stockRows(replica.db)).toEqual(await stockRows(t.platform.db));
      expect(await facetCounts(replica.db)).toEqual(await facetCounts(t.platform.db));
    },
  );

  it('keeps the facet counts of the listed products through relisting, moves, price changes and selling out', async () => {
    const sku = `FACETS-${profile}`;
    const same = async () => {
      await caughtUp();
      expect(await facetCounts(t.platform.db)).toEqual(await facetCountsAfresh(t.platform.db));
      return facetCounts(t.platform.db);
    };
    const { length: before } = await same();
    await product(sku, listing(sku, 20, 2000));
    await inventory(sku, { type: 'ReceiveStock', data: { sku, quantity: 1 } });
    expect(await same()).toContainEqual({
      category: 'Tools',
      brand: 'Acme',
      price_bucket: 1,
      in_stock: true,
      products: 1,
    });
    const now = new Date().toISOString();
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    await inventory(sku, {
      type: 'ReserveStock',
      data: { sku, reservationId: `o-${sku}`, quantity: 1, expiresAt, now },
    });
    await product(sku, {
      type: 'ChangeProductDetails',
      data: {
        sku,
        title: 'Lamp',
        description: 'Bright',
        brand: 'Lumo',
        category: 'Lighting',
        attributes: {},
        at: at(21),
      },
    });
    await product(sku, {
      type: 'ChangePrice',
      data: { sku, price: { amount: 60_000, currency: 'USD' }, at: at(22) },
    });
    expect(await same()).toContainEqual({
      category: 'Lighting',
      brand: 'Lumo',
      price_bucket: 6,
      in_stock: false,
      products: 1,
    });
    await product(sku, { type: 'DelistProduct', data: { sku, at: at(23) } });
    expect(await same()).toHaveLength(before);
    // One event per batch: the sale and the stock arriving each move counts on their own.
    replica ??= profile === 'postgres' ? await freshPostgres(4) : await freshPGlite();
    await replica.db.exec(
      `DELETE FROM products; DELETE FROM product_availability; DELETE FROM catalog_facet_counts`,
    );
    const events = (await allEvents()).filter((e) => e.streamId.endsWith(sku));
    for (const [i, event] of events.entries()) {
      await applyBatch(replica.db, createCatalogProjection(), [event]);
      expect(await facetCounts(replica.db), `after ${event.type} (#${i})`).toEqual(
        await facetCountsAfresh(replica.db),
      );
    }
  });

  it('answers product pages from memory until the projection writes the SKU again', async () => {
    // The cache's knowledge of writes is per process: a SKU of its own keeps the other profile's writes out.
    const sku = `CACHED-${profile}`;
    await product(sku, listing(sku, 10, 4500));
    await caughtUp();
    let queries = 0;
    const counting: SqlClient = {
      ...t.platform.db,
      query: (sql, params) => (queries++, t.platform.db.query(sql, params)),
    };
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      price: { amount: 4500 },
    });
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      price: { amount: 4500 },
    });
    expect(queries).toBe(1);
    await product(sku, {
      type: 'ChangePrice',
      data: { sku, price: { amount: 3900, currency: 'USD' }, at: at(11) },
    });
    await caughtUp();
    // The projection has committed: the very next read shows the new price, never the cached one.
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      price: { amount: 3900 },
    });
    expect(queries).toBe(2);
    // Stock alone (on PGlite a batch in one exchange, its revisions read before its write): the same.
    for (const quantity of [5, 2]) {
      await inventory(sku, { type: 'ReceiveStock', data: { sku, quantity } });
      await caughtUp();
    }
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      available: 7,
    });
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      available: 7,
    });
    expect(queries).toBe(3);
    await inventory(sku, { type: 'ReceiveStock', data: { sku, quantity: 1 } });
    await caughtUp();
    expect(await productBySku(counting, sku, t.platform.readModels.productPages)).toMatchObject({
      available: 8,
    });
    expect(queries).toBe(4);
  });
});
