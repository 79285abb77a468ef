import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import type { CatalogFilters, CatalogPage, FacetCount } from '../../src/projections/catalog/types.ts';
import { PRICE_STEPS } from '../../src/projections/catalog/types.ts';
import { searchTerms, sortOf } from '../../src/projections/catalog/search-query.ts';
import { emptyDocument, summaryOf, type CatalogDocument } from '../../src/search/catalog-document.ts';
import { CatalogIndex } from '../../src/search/in-process/catalog-index.ts';
import { openInProcessCatalogSearch } from '../../src/search/in-process/in-process-search.ts';
import { CATALOG, shopFloor } from './support.ts';
import { answerTags, changeTags } from '../../src/search/listing-pages.ts';

// The in-process index against the plainest reading of the search contract (every listed product,
// filtered, sorted, counted), over random catalogs built in random steps; and the listing tags
// against what a change really does to answers.

const WORDS = ['drill', 'driver', 'drum', 'lamp', 'red', 'cordless', 'oak', 'oaken'];
const SKUS = Array.from({ length: 40 }, (_, i) => `S${String(i).padStart(2, '0')}`);

const arbitraryDocument = (sku: fc.Arbitrary<string>) =>
  fc
    .record({
      sku,
      listed: fc.boolean(),
      title: fc
        .array(fc.constantFrom(...WORDS, 'Drill', 'LAMP'), { minLength: 1, maxLength: 3 })
        .map((w) => w.join(' ')),
      description: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }).map((w) => w.join(', ')),
      brand: fc.constantFrom('Bosk', 'Lumo', 'Oak Co', 'Red'),
      category: fc.constantFrom('Tools', 'Kitchen', 'Lighting'),
      attributes: fc.record({
        colour: fc.constantFrom('red', 'blue'),
        volts: fc.constantFrom(12, 18),
        cordless: fc.boolean(),
      }),
      price: fc.constantFrom(500, 999, 1000, 2500, 4999, 120_000),
      available: fc.integer({ min: -1, max: 4 }),
      listedAt: fc.constantFrom(
        '2025-01-01T00:00:00.000Z',
        '2025-01-02T00:00:00.000Z',
        '2025-01-03T00:00:00.000Z',
      ),
      productRevision: fc.nat({ max: 5 }),
      stockRevision: fc.nat({ max: 5 }),
    })
    .map((d): CatalogDocument => ({
      ...d,
      currency: 'USD',
      updatedAt: d.listedAt,
      onHand: Math.max(d.available, 0),
      reserved: Math.max(d.available, 0) - d.available,
    }));

const arbitraryFilters: fc.Arbitrary<CatalogFilters> = fc
  .record(
    {
      q: fc.oneof(fc.constantFrom(...WORDS, 'dr', 'oa', 'l', 'cordless dr', 'red lamp', 'nothing', ' ?! ')),
      category: fc.constantFrom('Tools', 'Kitchen', 'Nowhere'),
      brand: fc.constantFrom('Bosk', 'Red'),
      minPrice: fc.constantFrom(999, 2500),
      maxPrice: fc.constantFrom(2500, 5000),
      inStock: fc.boolean(),
      attributes: fc.constantFrom<Record<string, string[]>>(
        { colour: ['red'] },
        { volts: ['18'] },
        { cordless: ['true'], colour: ['red', 'blue'] },
        { volts: ['18.0'] },
      ),
      sort: fc.constantFrom('relevance', 'newest', 'price_asc', 'price_desc', 'title') as fc.Arbitrary<
        CatalogFilters['sort']
      >,
    },
    { requiredKeys: [] },
  )
  .chain((given) =>
    fc
      .record({ page: fc.integer({ min: 1, max: 3 }), pageSize: fc.integer({ min: 1, max: 8 }) })
      .map((p) => ({
        ...given,
        ...p,
      })),
  );

/** The contract read plainly: what SQL's statement says, one product at a time. */
function reference(
  docs: readonly CatalogDocument[],
  filters: CatalogFilters,
): CatalogPage & { all: string[] } {
  const terms = searchTerms(filters.q);
  const words = (doc: CatalogDocument) =>
    `${doc.title} ${doc.brand} ${doc.description}`.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const matches = docs.filter((doc) => {
    if (!doc.listed) return false;
    const own = words(doc);
    if (!terms.every((t, i) => own.some((w) => (i === terms.length - 1 ? w.startsWith(t) : w === t))))
      return false;
    if (filters.category !== undefined && doc.category !== filters.category) return false;
    if (filters.brand !== undefined && doc.brand !== filters.brand) return false;
    if (filters.minPrice !== undefined && doc.price! < filters.minPrice) return false;
    if (filters.maxPrice !== undefined && doc.price! > filters.maxPrice) return false;
    if (filters.inStock && doc.available <= 0) return false;
    return Object.entries(filters.attributes ?? {}).every(
      ([name, values]) => values.length === 0 || values.includes(String(doc.attributes?.[name])),
    );
  });
  const bySku = (a: CatalogDocument, b: CatalogDocument) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
  const sort = sortOf(filters);
  const order: Record<string, (a: CatalogDocument, b: CatalogDocument) => number> = {
    relevance: bySku,
    newest: (a, b) => Date.parse(b.listedAt!) - Date.parse(a.listedAt!) || bySku(a, b),
    price_asc: (a, b) => a.price! - b.price! || bySku(a, b),
    price_desc: (a, b) => b.price! - a.price! || bySku(a, b),
    title: (a, b) => (a.title! < b.title! ? -1 : a.title! > b.title! ? 1 : 0) || bySku(a, b),
  };
  const sorted = [...matches].sort(order[sort]);
  const count = (values: string[]): FacetCount[] =>
    [...new Set(values)]
      .map((value) => ({ value, count: values.filter((v) => v === value).length }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  const bucket = (price: number) => PRICE_STEPS.filter((step) => price >= step).length;
  const from = (filters.page - 1) * filters.pageSize;
  return {
    all: sorted.map((d) => d.sku),
    items: sorted.slice(from, from + filters.pageSize).map(summaryOf),
    total: matches.length,
    facets: {
      category: count(matches.map((d) => d.category!)),
      brand: count(matches.map((d) => d.brand!)),
      price: [...new Set(matches.map((d) => bucket(d.price!)))]
        .sort((a, b) => a - b)
        .map((b) => ({
          from: b === 0 ? 0 : PRICE_STEPS[b - 1]!,
          to: PRICE_STEPS[b] ?? null,
          count: matches.filter((d) => bucket(d.price!) === b).length,
        })),
    },
  };
}

function expectAsReference(index: CatalogIndex, docs: Map<string, CatalogDocument>, filters: CatalogFilters) {
  const expected = reference([...docs.values()], filters);
  const found = index.search(filters);
  const label = JSON.stringify(filters);
  expect(found.total, label).toBe(expected.total);
  expect(found.facets, label).toEqual(expected.facets);
  if (sortOf(filters) !== 'relevance') expect(found.items, label).toEqual(expected.items);
  else {
    // Relevance orders by weights the reference does not model: the same products, over every page.
    const every = index.search({ ...filters, page: 1, pageSize: 100 });
    expect(every.items.map((i) => i.sku).sort(), label).toEqual([...expected.all].sort());
  }
}

describe('the in-process catalog index', () => {
  it('answers as the plain reading of the contract, after changes made one by one or in bulk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbitraryDocument(fc.constantFrom(...SKUS)), { minLength: 1, maxLength: 8 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(arbitraryFilters, { minLength: 5, maxLength: 12 }),
        (batches, searches) => {
          const index = new CatalogIndex();
          const docs = new Map<string, CatalogDocument>();
          for (const batch of batches) {
            const latest = new Map(batch.map((doc) => [doc.sku, doc]));
            index.put([...latest.values()]);
            for (const doc of latest.values()) docs.set(doc.sku, doc);
            // Searching between changes keeps the sorted orders incremental from then on.
            index.search({ page: 1, pageSize: 1 });
          }
          for (const filters of searches) expectAsReference(index, docs, filters);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps its orders and words exact across a bulk load followed by single changes', () => {
    const docs = new Map<string, CatalogDocument>();
    const many = fc.sample(arbitraryDocument(fc.constant('')), { numRuns: 700, seed: 17 });
    const index = new CatalogIndex();
    const loaded = many.map((doc, i) => ({ ...doc, sku: `B${String(i).padStart(4, '0')}` }));
    index.put(loaded); // more than the index re-sorts incrementally
    for (const doc of loaded) docs.set(doc.sku, doc);
    const changes = fc.sample(arbitraryDocument(fc.constantFrom(...loaded.slice(0, 60).map((d) => d.sku))), {
      numRuns: 80,
      seed: 18,
    });
    for (const change of changes) {
      index.put([change]);
      docs.set(change.sku, change);
      index.search({ sort: 'price_desc', page: 1, pageSize: 3 });
    }
    for (const filters of fc.sample(arbitraryFilters, { numRuns: 200, seed: 19 }))
      expectAsReference(index, docs, filters);
    expect(index.size).toBe([...docs.values()].filter((d) => d.listed).length);
  });

  it('puts a product on the page as long as the best few by relevance, however the matches arrive', () => {
    const index = new CatalogIndex();
    const doc = (sku: string, title: string, description = ''): CatalogDocument => ({
      ...fc.sample(arbitraryDocument(fc.constant(sku)), { numRuns: 1, seed: 3 })[0]!,
      listed: true,
      title,
      description,
    });
    index.put([
      doc('C', 'cordless drill'),
      doc('A', 'lamp', 'a drill in the description'),
      doc('B', 'drill drill'),
      doc('D', 'Drill'),
    ]);
    const skus = (page: CatalogPage) => page.items.map((item) => item.sku);
    // Title over description; more mentions count for more; equal scores by SKU.
    expect(skus(index.search({ q: 'drill', page: 1, pageSize: 10 }))).toEqual(['B', 'C', 'D', 'A']);
    expect(skus(index.search({ q: 'drill', page: 1, pageSize: 2 }))).toEqual(['B', 'C']);
    expect(skus(index.search({ q: 'drill', page: 2, pageSize: 2 }))).toEqual(['D', 'A']);
    expect(skus(index.search({ q: 'cordless dr', page: 1, pageSize: 10 }))).toEqual(['C']);
  });
});

describe('listing tags', () => {
  it('name every answer a change alters: answers whose tags a change leaves alone stay exactly as they were', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(arbitraryDocument(fc.constantFrom(...SKUS)), {
          minLength: 1,
          maxLength: 30,
          selector: (doc) => doc.sku,
        }),
        arbitraryDocument(fc.constantFrom(...SKUS)),
        fc.array(arbitraryFilters, { minLength: 10, maxLength: 20 }),
        (catalog, change, searches) => {
          const index = new CatalogIndex();
          index.put(catalog);
          const before = catalog.find((doc) => doc.sku === change.sku);
          // A product event, a stock event, or both in one batch: each changes only its own fields.
          const kind = change.productRevision % 3;
          const base = before ?? emptyDocument(change.sku);
          const { onHand, reserved, available, productRevision: _p, stockRevision: _s, ...product } = change;
          const after: CatalogDocument = {
            ...base,
            ...(kind !== 1 ? product : {}),
            ...(kind !== 0 ? { onHand, reserved, available } : {}),
            productRevision: base.productRevision + (kind !== 1 ? 1 : 0),
            stockRevision: base.stockRevision + (kind !== 0 ? 1 : 0),
          };
          const answers = searches.map((filters) => index.search(filters));
          index.put([after]);
          const invalidated = new Set(changeTags(before, after));
          searches.forEach((filters, i) => {
            const untouched = answerTags(filters, answers[i]!).every((tag) => !invalidated.has(tag));
            if (untouched) expect(index.search(filters), JSON.stringify(filters)).toEqual(answers[i]);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the in-process index fed by the catalog projection', () => {
  // A platform whose workers never start: the catalog read model stays empty, and the test hands the
  // index the batches the projection would have committed, in the order and shape it wants.
  let platform: Platform;
  const eventsOf = async (...skus: string[]) =>
    (
      await Promise.all(
        skus.flatMap((sku) => [
          platform.store.readStream(streams.product(sku)),
          platform.store.readStream(streams.inventory(sku)),
        ]),
      )
    )
      .flat()
      .sort((a, b) => a.globalPosition - b.globalPosition);

  beforeAll(async () => {
    platform = await openPlatform(
      loadConfig({
        DATA_DIR: 'memory://',
        JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
        LOG_LEVEL: 'silent',
      }),
    );
    const floor = shopFloor(platform);
    for (const fixture of CATALOG.slice(0, 3)) await floor.list(fixture);
    await floor.product('SAW-1', {
      type: 'ChangePrice',
      data: { sku: 'SAW-1', price: { amount: 9_999, currency: 'USD' }, at: new Date().toISOString() },
    });
  });
  afterAll(() => platform?.close());

  it('applies batches committed while it reads the read model after it, each event once, and fetches what a batch skipped', async () => {
    let hear!: (events: readonly RecordedEvent[]) => void;
    const invalidated: string[][] = [];
    const opening = openInProcessCatalogSearch({
      db: platform.db,
      store: platform.store,
      catalog: {
        followCommits: (listener) => {
          hear = listener;
          return () => undefined;
        },
      },
      invalidation: { invalidate: async (tags) => void invalidated.push([...tags]) },
    });
    const [drill, drill2, saw] = ['DRILL-1', 'DRILL-2', 'SAW-1'];
    // While the read model is read: a batch, the same batch again, and another SKU's events but the
    // first of its product stream (its price change without its listing).
    const [drills, again, saws] = await Promise.all([
      eventsOf(drill, drill2),
      eventsOf(drill),
      eventsOf(saw),
    ]);
    hear(drills);
    hear(again);
    hear(saws.filter((e) => e.type !== 'ProductListed'));
    const search = await opening;
    await expect
      .poll(async () => (await search.searchCatalog({ page: 1, pageSize: 10, sort: 'price_asc' })).items)
      .toEqual([
        expect.objectContaining({ sku: drill, price: { amount: 8999, currency: 'USD' }, available: 5 }),
        expect.objectContaining({ sku: saw, price: { amount: 9999, currency: 'USD' }, available: 3 }),
        expect.objectContaining({ sku: drill2, price: { amount: 12999, currency: 'USD' }, available: 0 }),
      ]);
    expect(search.index.get(saw)).toMatchObject({ productRevision: 2, stockRevision: 1, available: 3 });
    expect(invalidated.flat()).toEqual(
      expect.arrayContaining([`sku:${drill}`, `sku:${saw}`, 'products:all']),
    );
    await search.close();
  });
});
