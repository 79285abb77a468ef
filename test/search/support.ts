import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { streams } from '../../src/commands/index.ts';
import type { DomainError } from '../../src/domain/decider.ts';
import type { InventoryCommand } from '../../src/domain/inventory/index.ts';
import type { ProductAttributes, ProductCommand } from '../../src/domain/product/index.ts';
import type { Checkpoint } from '../../src/eventstore/event-store.ts';
import type { Platform } from '../../src/platform.ts';
import type { CatalogFilters } from '../../src/projections/catalog/queries.ts';
import { loadCheckpoint } from '../../src/subscriptions/index.ts';
import { adminContext } from '../support/shop.ts';

/** A unique index prefix per test file, so suites on the one shared Elasticsearch never meet. */
export const uniquePrefix = (name: string) => `test-${name}-${randomBytes(4).toString('hex')}-`;

/** Deletes every index a suite made under its prefix (by name: wildcard deletes are refused). */
export async function dropIndices(url: string, prefix: string) {
  const client = new Client({ node: url });
  try {
    const indices = await client.cat.indices({ index: `${prefix}*`, format: 'json', h: ['index'] });
    for (const { index } of indices) if (index) await client.indices.delete({ index });
  } finally {
    await client.close();
  }
}

export const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

type Fixture = {
  sku: string;
  title: string;
  brand: string;
  category: string;
  amount: number;
  attributes: ProductAttributes;
  description: string;
  stock: number;
  minute: number;
};

/** A small catalog whose every search below has one right answer. */
export const CATALOG: readonly Fixture[] = [
  {
    sku: 'DRILL-1',
    title: 'Cordless Drill 18V',
    brand: 'Bosk',
    category: 'Tools',
    amount: 8999,
    attributes: { colour: 'green', volts: 18, cordless: true },
    description: 'A compact drill driver with two batteries',
    stock: 5,
    minute: 1,
  },
  {
    sku: 'DRILL-2',
    title: 'Hammer Drill',
    brand: 'Makito',
    category: 'Tools',
    amount: 12999,
    attributes: { colour: 'blue', volts: 18, cordless: false },
    description: 'Corded hammer drill for masonry',
    stock: 0,
    minute: 2,
  },
  {
    sku: 'SAW-1',
    title: 'Circular Saw',
    brand: 'Bosk',
    category: 'Tools',
    amount: 14999,
    attributes: { colour: 'green', volts: 36, cordless: true },
    description: 'Cuts wood fast and pairs with the cordless drill',
    stock: 3,
    minute: 3,
  },
  {
    sku: 'KETTLE-1',
    title: 'Electric Kettle',
    brand: 'Brewster',
    category: 'Kitchen',
    amount: 2999,
    attributes: { colour: 'red', litres: 1.7 },
    description: 'Boils water quickly',
    stock: 10,
    minute: 4,
  },
  {
    sku: 'TOASTER-1',
    title: 'Two Slice Toaster',
    brand: 'Brewster',
    category: 'Kitchen',
    amount: 3499,
    attributes: { colour: 'red' },
    description: 'Toasts bread evenly',
    stock: 2,
    minute: 5,
  },
  {
    sku: 'MUG-1',
    title: 'Drill Sergeant Mug',
    brand: 'Cupco',
    category: 'Kitchen',
    amount: 899,
    attributes: { colour: 'white' },
    description: 'Holds coffee',
    stock: 50,
    minute: 6,
  },
  {
    sku: 'LAMP-1',
    title: 'Desk Lamp',
    brand: 'Lumo',
    category: 'Lighting',
    amount: 4599,
    attributes: { colour: 'black' },
    description: 'Delisted before anyone looked',
    stock: 4,
    minute: 7,
  },
  {
    sku: 'PHONES-1',
    title: 'Wireless Headphones',
    brand: 'Sonik',
    category: 'Audio',
    amount: 19999,
    attributes: { colour: 'black', wireless: true },
    description: 'Over-ear, noise cancelling',
    stock: 7,
    minute: 8,
  },
  {
    sku: 'BULB-1',
    title: 'LED Bulb',
    brand: 'Lumo',
    category: 'Lighting',
    amount: 499,
    attributes: { watts: 9 },
    description: 'Warm white light',
    stock: 100,
    minute: 9,
  },
];

async function handled(result: Promise<Either<DomainError, unknown>>) {
  const outcome = await result;
  if (isLeft(outcome)) throw new Error(`command refused: ${outcome.left.code} (${outcome.left.message})`);
}

/** Drives a platform through its commands, remembering the streams it wrote to. */
export function shopFloor(platform: Platform) {
  const written = new Set<string>();
  const product = (sku: string, command: ProductCommand) => {
    written.add(streams.product(sku));
    return handled(platform.commands.product.handle(streams.product(sku), command, adminContext()));
  };
  const inventory = (sku: string, command: InventoryCommand) => {
    written.add(streams.inventory(sku));
    return handled(platform.commands.inventory.handle(streams.inventory(sku), command, adminContext()));
  };
  return {
    written,
    product,
    inventory,
    async list(f: Fixture) {
      const { sku, title, brand, category, attributes, description, amount, minute } = f;
      await product(sku, {
        type: 'ListProduct',
        data: {
          sku,
          title,
          brand,
          category,
          attributes,
          description,
          price: { amount, currency: 'USD' },
          at: at(minute),
        },
      });
      if (f.stock > 0) await inventory(sku, { type: 'ReceiveStock', data: { sku, quantity: f.stock } });
    },
    /** The catalog above, then a price and a title change, and a delisting. */
    async loadCatalog() {
      for (const fixture of CATALOG) await this.list(fixture);
      await product('PHONES-1', {
        type: 'ChangePrice',
        data: { sku: 'PHONES-1', price: { amount: 17999, currency: 'USD' }, at: at(10) },
      });
      const phones = CATALOG.find((f) => f.sku === 'PHONES-1')!;
      await product('PHONES-1', {
        type: 'ChangeProductDetails',
        data: {
          sku: 'PHONES-1',
          title: 'Wireless Headphones Pro',
          description: phones.description,
          brand: phones.brand,
          category: phones.category,
          attributes: phones.attributes,
          at: at(11),
        },
      });
      await product('LAMP-1', { type: 'DelistProduct', data: { sku: 'LAMP-1', at: at(12) } });
    },
    /**
     * Waits until `projection` has applied the last event of every stream written here. Not the last
     * event of the global log: on PostgreSQL a commit shows there only once older transactions, in any
     * database of the server, have finished.
     */
    async caughtUp(projection: string, timeoutMs = 30_000) {
      const lasts = await Promise.all(
        [...written].map(
          async (id) =>
            (await platform.store.readStream(id, { direction: 'backward', maxCount: 1 }))[0]!.checkpoint,
        ),
      );
      const passed = (c: Checkpoint, last: Checkpoint) =>
        BigInt(c.transactionId) > BigInt(last.transactionId) ||
        (c.transactionId === last.transactionId && c.globalPosition >= last.globalPosition);
      for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 20))) {
        const checkpoint = await loadCheckpoint(platform.db, projection);
        if (lasts.every((last) => passed(checkpoint, last))) return;
        if (Date.now() > deadline)
          throw new Error(
            `${projection} is at ${JSON.stringify(checkpoint)}, not past ${JSON.stringify(lasts)}`,
          );
      }
    },
  };
}

/** Filters with the defaults the API fills in. */
export const filters = (given: Partial<CatalogFilters> = {}): CatalogFilters => ({
  page: 1,
  pageSize: 20,
  ...given,
});

/** Waits until `check` holds (in hooks too, where expect.poll may not be used). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}
