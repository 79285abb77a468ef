import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { streams } from '../../src/commands/index.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { ProductCommand } from '../../src/domain/product/index.ts';
import { createCatalogReadModel, productBySku } from '../../src/projections/catalog/index.ts';
import { freshPGlite } from '../support/databases.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { waitUntil } from './wait.ts';
import { testListing } from '../support/catalog.ts';

const context = () => ({ actor: { id: 'spec', role: 'admin' }, correlationId: uuidv7() });
const priceChange = (sku: string, amount: number): ProductCommand => ({
  type: 'ChangePrice',
  data: { sku, price: { amount, currency: 'USD' }, at: new Date().toISOString() },
});

/** A client of the same database that counts its queries. */
const counting = (db: SqlClient) => {
  const counter = { queries: 0, db: { ...db } as SqlClient };
  counter.db = { ...db, query: (sql, params) => (counter.queries++, db.query(sql, params)) };
  return counter;
};

describe('the in-process product cache (embedded)', () => {
  let a: TestApp;
  let b: TestApp;
  const product = (t: TestApp, sku: string, command: ProductCommand) =>
    t.platform.commands.product.handle(streams.product(sku), command, context());
  const shows = (t: TestApp, sku: string, amount: number) =>
    waitUntil(`${sku} at ${amount}`, async () => {
      const [row] = await t.platform.db.query<{ price_amount: number | string }>(
        `SELECT price_amount FROM products WHERE sku = $1`,
        [sku],
      );
      return Number(row?.price_amount) === amount;
    });

  beforeAll(async () => {
    [a, b] = [await testApp('embedded'), await testApp('embedded')];
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('keeps what one database wrote apart from another database of the same process', async () => {
    // The same SKU written three times in A, once in B: A's revisions must not refuse B's page.
    await product(a, 'SHARED-1', testListing('SHARED-1', 100));
    await product(a, 'SHARED-1', priceChange('SHARED-1', 200));
    await product(a, 'SHARED-1', priceChange('SHARED-1', 300));
    await product(b, 'SHARED-1', testListing('SHARED-1', 700));
    await shows(a, 'SHARED-1', 300);
    await shows(b, 'SHARED-1', 700);
    const inB = counting(b.platform.db);
    expect(await productBySku(inB.db, 'SHARED-1', b.platform.readModels.productPages)).toMatchObject({
      price: { amount: 700 },
    });
    expect(await productBySku(inB.db, 'SHARED-1', b.platform.readModels.productPages)).toMatchObject({
      price: { amount: 700 },
    });
    expect(inB.queries).toBe(1);
    // And B's projection writing the SKU still evicts B's page at once.
    await product(b, 'SHARED-1', priceChange('SHARED-1', 650));
    await shows(b, 'SHARED-1', 650);
    expect(await productBySku(inB.db, 'SHARED-1', b.platform.readModels.productPages)).toMatchObject({
      price: { amount: 650 },
    });
    expect(inB.queries).toBe(2);
    // And A's, the first database of the process, whose writes carry no asynchronous context.
    const inA = counting(a.platform.db);
    expect(await productBySku(inA.db, 'SHARED-1', a.platform.readModels.productPages)).toMatchObject({
      price: { amount: 300 },
    });
    expect(await productBySku(inA.db, 'SHARED-1', a.platform.readModels.productPages)).toMatchObject({
      price: { amount: 300 },
    });
    expect(inA.queries).toBe(1);
    await product(a, 'SHARED-1', priceChange('SHARED-1', 350));
    await shows(a, 'SHARED-1', 350);
    expect(await productBySku(inA.db, 'SHARED-1', a.platform.readModels.productPages)).toMatchObject({
      price: { amount: 350 },
    });
    expect(inA.queries).toBe(2);
  });

  it('keeps a page 30 minutes where the catalog projection runs in the same process', async () => {
    await product(a, 'LONG-1', testListing('LONG-1', 100));
    await shows(a, 'LONG-1', 100);
    const inA = counting(a.platform.db);
    expect(await productBySku(inA.db, 'LONG-1', a.platform.readModels.productPages)).toBeDefined();
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 29 * 60_000);
    expect(await productBySku(inA.db, 'LONG-1', a.platform.readModels.productPages)).toBeDefined();
    expect(inA.queries).toBe(1);
    vi.spyOn(Date, 'now').mockReturnValue(now + 31 * 60_000);
    expect(await productBySku(inA.db, 'LONG-1', a.platform.readModels.productPages)).toBeDefined();
    expect(inA.queries).toBe(2);
  });

  it('keeps a page only seconds in a process that does not run the projection (ROLE api)', async () => {
    const spare = await freshPGlite();
    try {
      const cache = createCatalogReadModel(spare.db).pages;
      const now = Date.now();
      vi.spyOn(Date, 'now').mockReturnValue(now); // offered and read at the same instant, however slow the machine
      cache.offer('SHORT-1', { json: '{}', document: {} as never }, { product: 1, stock: 0 });
      expect(cache.get('SHORT-1')).toBeDefined();
      vi.spyOn(Date, 'now').mockReturnValue(now + 3_001);
      expect(cache.get('SHORT-1')).toBeUndefined();
    } finally {
      await spare.drop();
    }
  });
});
