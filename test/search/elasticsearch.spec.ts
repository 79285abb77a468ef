import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { CATALOG_SEARCH_PROJECTION } from '../../src/search/index.ts';
import {
  catalogAlias,
  createCatalogIndex,
  indexBehind,
} from '../../src/search/elasticsearch/catalog-index.ts';
import { catalogSearchProjection } from '../../src/search/elasticsearch/projection.ts';
import { catalogSearchRebuild } from '../../src/search/elasticsearch/rebuild.ts';
import { serviceUrl } from '../support/services.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { at, CATALOG, dropIndices, filters, shopFloor, uniquePrefix } from './support.ts';

const url = serviceUrl('ELASTICSEARCH_URL');

/** Every event of the log, in log order. */
async function allEvents(t: TestApp) {
  const events: RecordedEvent[] = [];
  for (let batch = await t.platform.store.readAll(); batch.events.length > 0;) {
    events.push(...batch.events);
    batch = await t.platform.store.readAll({ after: batch.next });
  }
  return events;
}

/** The documents of an index by SKU, as stored (without ES's own bookkeeping). */
async function documents(client: Client, index: string) {
  await client.indices.refresh({ index });
  const result = await client.search({ index, size: 1000, query: { match_all: {} }, sort: [{ sku: 'asc' }] });
  return Object.fromEntries(result.hits.hits.map((hit) => [hit._id, hit._source]));
}

describe('the Elasticsearch catalog projection', () => {
  let t: TestApp;
  let client: Client;
  const prefix = uniquePrefix('projection');

  beforeAll(async () => {
    // The platform creates the alias and its first index; this suite applies events by hand.
    t = await testApp('embedded', { ELASTICSEARCH_URL: url, ELASTICSEARCH_INDEX_PREFIX: prefix });
    client = new Client({ node: url });
    const floor = shopFloor(t.platform);
    await floor.loadCatalog();
    await floor.inventory('DRILL-1', {
      type: 'ReserveStock',
      data: { sku: 'DRILL-1', reservationId: 'r1', quantity: 2, expiresAt: at(90), now: at(20) },
    });
    await floor.inventory('DRILL-1', {
      type: 'CommitReservation',
      data: { reservationId: 'r1', now: at(21) },
    });
    await floor.caughtUp(CATALOG_SEARCH_PROJECTION);
  });

  afterAll(async () => {
    await client?.close();
    await t?.close();
    await dropIndices(url, prefix);
  });

  /** A fresh index behind an alias of its own, fed by hand with `apply`. */
  async function scratchIndex(name: string) {
    const alias = catalogAlias(`${prefix}${name}-`);
    const index = `${alias}-only`;
    await createCatalogIndex(client, index, { alias });
    const projection = catalogSearchProjection({ client, store: t.platform.store, alias });
    return { index, projection };
  }

  it('folds each SKU into one document with its revisions and stock', async () => {
    const index = (await indexBehind(client, catalogAlias(prefix)))!;
    const docs = await documents(client, index);
    expect(Object.keys(docs).sort()).toEqual(CATALOG.map((f) => f.sku).sort());
    expect(docs['DRILL-1']).toMatchObject({
      listed: true,
      price: 8999,
      onHand: 3,
      reserved: 0,
      available: 3,
      productRevision: 1,
      stockRevision: 3,
      listedAt: at(1),
    });
    expect(docs['PHONES-1']).toMatchObject({
      title: 'Wireless Headphones Pro',
      price: 17999,
      productRevision: 3,
    });
    expect(docs['LAMP-1']).toMatchObject({ listed: false, productRevision: 2 });
    expect(docs['DRILL-2']).toMatchObject({ stockRevision: 0, available: 0 });
  });

  it('is idempotent: the same batch applied twice, or again after later ones, changes nothing', async () => {
    const { index, projection } = await scratchIndex('twice');
    const events = (await allEvents(t)).filter((e) => projection.eventTypes.has(e.type));
    await projection.apply(events);
    const once = await documents(client, index);
    await projection.apply(events);
    expect(await documents(client, index)).toEqual(once);
    // A crash after the first half of the batches was written, then everything delivered again.
    await projection.apply(events.slice(0, Math.floor(events.length / 2)));
    await projection.apply(events.slice(3));
    expect(await documents(client, index)).toEqual(once);
    // And the same as the live projection's index.
    expect(once).toEqual(await documents(client, (await indexBehind(client, catalogAlias(prefix)))!));
  });

  it('fetches the events a document missed from their stream instead of skipping them', async () => {
    const { index, projection } = await scratchIndex('gap');
    const events = (await allEvents(t)).filter((e) => projection.eventTypes.has(e.type));
    // Only the last event of each stream: every earlier one must be read from the stream.
    const lastOfEach = [...new Map(events.map((e) => [e.streamId, e])).values()];
    expect(lastOfEach.length).toBeLessThan(events.length);
    await projection.apply(lastOfEach);
    const { index: full, projection: reference } = await scratchIndex('reference');
    await reference.apply(events);
    expect(await documents(client, index)).toEqual(await documents(client, full));
  });

  it('fails a batch when the alias moved while it was written, so that it is applied again', async () => {
    const alias = catalogAlias(`${prefix}moved-`);
    const [first, second] = [`${alias}-first`, `${alias}-second`];
    await createCatalogIndex(client, first, { alias });
    await createCatalogIndex(client, second);
    // A rebuild swaps the alias just after the batch's writes went to the first index.
    const swapping = new Proxy(client, {
      get(target, property) {
        if (property === 'bulk')
          return async (...args: Parameters<Client['bulk']>) => {
            const result = await target.bulk(...args);
            await target.indices.updateAliases({
              actions: [{ remove: { index: first, alias } }, { add: { index: second, alias } }],
            });
            return result;
          };
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const moving = catalogSearchProjection({ client: swapping, store: t.platform.store, alias });
    const events = (await allEvents(t)).filter((e) => moving.eventTypes.has(e.type));
    await expect(moving.apply(events)).rejects.toThrow(/moved from/);
    expect(Object.keys(await documents(client, second))).toEqual([]);
    // Delivered again (the checkpoint did not move): now it lands in the index the alias points to.
    await catalogSearchProjection({ client, store: t.platform.store, alias }).apply(events);
    expect(await documents(client, second)).toEqual(await documents(client, first));
  });
});

describe('rebuilding the search index', () => {
  let t: TestApp;
  let client: Client;
  const prefix = uniquePrefix('rebuild');

  beforeAll(async () => {
    t = await testApp('embedded', { ELASTICSEARCH_URL: url, ELASTICSEARCH_INDEX_PREFIX: prefix });
    client = new Client({ node: url });
    const floor = shopFloor(t.platform);
    await floor.loadCatalog();
    // Enough events that the rebuild reads the log in several batches.
    for (let i = 0; i < 60; i++)
      await floor.inventory('BULB-1', { type: 'ReceiveStock', data: { sku: 'BULB-1', quantity: 1 } });
    await floor.caughtUp(CATALOG_SEARCH_PROJECTION);
  });

  afterAll(async () => {
    await client?.close();
    await t?.close();
    await dropIndices(url, prefix);
  });

  it('builds a new index from the log while the old one serves, then swaps the alias and drops the old', async () => {
    const alias = catalogAlias(prefix);
    const before = (await indexBehind(client, alias))!;
    const expected = await t.platform.search.searchCatalog(filters({ sort: 'price_asc' }));
    expect(expected.total).toBe(8);
    // Searches keep going through the whole rebuild: every one must answer, and answer in full.
    let searching = true;
    const answers: number[] = [];
    const failures: string[] = [];
    const searches = (async () => {
      while (searching) {
        try {
          answers.push((await t.platform.search.searchCatalog(filters({ q: 'drill' }))).total);
        } catch (error) {
          failures.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const floor = shopFloor(t.platform);
    const progress: { events: number; position: number }[] = [];
    const rebuild = catalogSearchRebuild({ client, store: t.platform.store, db: t.platform.db, prefix });
    expect(rebuild.name).toBe('catalog-search');
    const rebuilding = rebuild.rebuild((p) => progress.push(p));
    // Written while the rebuild runs: must be in the new index, whichever way it got there.
    await floor.list({
      sku: 'DRILL-3',
      title: 'Right Angle Drill',
      brand: 'Bosk',
      category: 'Tools',
      amount: 10999,
      attributes: {},
      description: 'For tight corners',
      stock: 2,
      minute: 30,
    });
    const result = await rebuilding;
    await floor.caughtUp(CATALOG_SEARCH_PROJECTION);
    searching = false;
    await searches;

    const after = await indexBehind(client, alias);
    expect(after).not.toBe(before);
    expect(await client.indices.exists({ index: before })).toBe(false);
    expect(result.events).toBeGreaterThanOrEqual(progress.at(-1)!.events);
    expect(progress.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((total) => total === 4 || total === 5)).toBe(true);
    await expect
      .poll(async () => (await t.platform.search.searchCatalog(filters({ q: 'drill' }))).total, {
        timeout: 30_000,
      })
      .toBe(5);
    const rebuilt = await t.platform.search.searchCatalog(filters({ sort: 'price_asc' }));
    expect(rebuilt.items.filter((item) => item.sku !== 'DRILL-3')).toEqual(expected.items);
    expect(rebuilt.items.find((item) => item.sku === 'BULB-1')?.available).toBe(160);
    // The live projection carries on into the new index.
    await floor.inventory('DRILL-3', {
      type: 'AdjustStock',
      data: { sku: 'DRILL-3', delta: -2, reason: 'lost' },
    });
    await expect
      .poll(
        async () => (await t.platform.search.searchCatalog(filters({ q: 'drill', inStock: true }))).total,
        { timeout: 30_000 },
      )
      .toBe(3);
  });

  it('is rebuilt by name through the platform, like the SQL projections', async () => {
    const alias = catalogAlias(prefix);
    const before = await indexBehind(client, alias);
    const progress: number[] = [];
    await t.platform.projections.rebuild('catalog-search', (p) => progress.push(p.events));
    expect(await indexBehind(client, alias)).not.toBe(before);
    expect(progress.at(-1)).toBeGreaterThan(0);
    expect((await t.platform.search.searchCatalog(filters({ q: 'drill' }))).total).toBe(5);
    const overview = await t.platform.projections.overview(60_000);
    expect(overview.find((p) => p.name === 'catalog-search')).toMatchObject({
      rebuildable: true,
      rebuild: { state: 'succeeded' },
    });
  });
});
