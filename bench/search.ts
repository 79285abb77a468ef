// Catalog search over 100,000 products: Elasticsearch and the embedded profile's in-process index, with
// the same generated catalog and the same mix of searches; and, for reference, PostgreSQL full-text
// search on PGlite (what the embedded profile searched before the index) and on the PostgreSQL 15 server
// (services profile without ES). Nothing here keeps answers: every search is one nobody asked before.
//   npm run bench:search          (BENCH_SECONDS=10 per run, BENCH_PRODUCTS=100000, BENCH_ENGINES=all four)
// The catalog is loaded straight into the read models (ES bulk, one SQL statement per 5,000 rows), not
// through events: this measures searching, not projecting. Each engine is measured one search at a time
// (latency) and with 8 in flight (throughput), after BENCH_WARMUP seconds (3) of the mix at 8 in flight;
// every search asks for facets. Goal: p99 under 50 ms with
// 8 in flight. The in-process index is built from the PGlite read model as the platform builds it at
// start (its time and heap are printed), and measured with the catalog unchanged, with a product's price
// changing before every search, and with a SKU's stock changing before every search.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { migrate } from '../src/db/migrate.ts';
import { openPGlite } from '../src/db/pglite.ts';
import { connectPostgres } from '../src/db/postgres.ts';
import type { SqlClient } from '../src/db/sql-client.ts';
import type { CatalogFilters } from '../src/projections/catalog/queries.ts';
import { sqlCatalogSearch, type CatalogSearch } from '../src/search/catalog-search.ts';
import { createCatalogReadModel } from '../src/projections/catalog/index.ts';
import { CATALOG_VERSION_SQL } from '../src/projections/catalog/facet-cache.ts';
import {
  catalogAlias,
  createCatalogIndex,
  newCatalogIndexName,
} from '../src/search/elasticsearch/catalog-index.ts';
import type { CatalogDocument } from '../src/search/elasticsearch/catalog-index.ts';
import { elasticsearchCatalogSearch } from '../src/search/elasticsearch/elasticsearch-search.ts';
import { CatalogIndex } from '../src/search/in-process/catalog-index.ts';
import { readCatalogDocuments } from '../src/search/in-process/in-process-search.ts';
import { serviceUrl } from '../test/support/services.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB, runClosedLoop, WARMUP_SECONDS, type Measurement } from './lib/measure.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const CHUNK = 5_000;

/** mulberry32: the same catalog on every run. */
const random = (() => {
  let seed = 7411;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
})();
const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;

const CATEGORIES = {
  Tools: ['Drill', 'Saw', 'Sander', 'Grinder', 'Wrench', 'Hammer', 'Screwdriver', 'Router'],
  Kitchen: ['Kettle', 'Toaster', 'Blender', 'Mixer', 'Pan', 'Knife', 'Grill', 'Scale'],
  Audio: ['Headphones', 'Speaker', 'Soundbar', 'Turntable', 'Microphone', 'Amplifier'],
  Lighting: ['Lamp', 'Bulb', 'Pendant', 'Lantern', 'Spotlight', 'Strip'],
  Apparel: ['Jacket', 'Hoodie', 'Shirt', 'Jeans', 'Sweater', 'Dress', 'Shorts'],
  Garden: ['Hose', 'Mower', 'Trimmer', 'Planter', 'Shovel', 'Sprinkler'],
  Sports: ['Racket', 'Ball', 'Helmet', 'Gloves', 'Bottle', 'Mat'],
  Office: ['Chair', 'Desk', 'Monitor', 'Keyboard', 'Mouse', 'Notebook'],
} as const;
const ADJECTIVES = [
  'Cordless',
  'Compact',
  'Pro',
  'Classic',
  'Wireless',
  'Smart',
  'Heavy Duty',
  'Mini',
  'Deluxe',
];
const BRANDS = Array.from(
  { length: 120 },
  (_, i) =>
    `${pick(['Bo', 'Ma', 'Lu', 'Ke', 'No', 'Sa', 'Ve'])}${pick(['sk', 'kito', 'mo', 'stra', 'rex', 'lia'])} ${i}`,
);
const COLOURS = ['black', 'white', 'red', 'green', 'blue', 'grey', 'navy', 'beige'];
const WORDS = [
  'durable',
  'quiet',
  'powerful',
  'light',
  'steel',
  'wooden',
  'recycled',
  'portable',
  'ergonomic',
];
const epoch = Date.UTC(2024, 0, 1);

function product(n: number): CatalogDocument {
  const category = pick(Object.keys(CATEGORIES) as (keyof typeof CATEGORIES)[]);
  const kind = pick(CATEGORIES[category]);
  const title = `${pick(ADJECTIVES)} ${kind} ${pick(['X', 'S', 'Max', 'Lite', 'One'])}${Math.floor(random() * 900) + 100}`;
  const onHand = random() < 0.2 ? 0 : Math.floor(random() * 200);
  const listedAt = new Date(epoch + Math.floor(random() * 600 * 86_400_000)).toISOString();
  return {
    sku: `P${String(n).padStart(6, '0')}`,
    listed: random() > 0.02,
    title,
    description: `A ${pick(WORDS)} ${kind.toLowerCase()}, ${pick(WORDS)} and ${pick(WORDS)}, for every day.`,
    brand: pick(BRANDS),
    category,
    attributes: {
      colour: pick(COLOURS),
      size: pick(['S', 'M', 'L', 'XL']),
      warranty: Math.floor(random() * 4),
    },
    price: Math.floor(random() * random() * 150_000) + 99,
    currency: 'USD',
    listedAt,
    updatedAt: listedAt,
    onHand,
    reserved: 0,
    available: onHand,
    productRevision: 1,
    stockRevision: onHand > 0 ? 1 : 0,
  };
}

/** The mix: full text (whole words and a prefix), filters, attributes, sorts, deeper pages. */
const MIX: Partial<CatalogFilters>[] = [
  { q: 'drill' },
  { q: 'cordless dri' },
  { q: 'wireless headphones' },
  { q: 'pro lamp', inStock: true },
  { q: 'recycled', sort: 'price_asc' },
  { q: 'quiet steel' },
  { q: 'mixer', category: 'Kitchen', sort: 'price_desc' },
  { q: 'ke' },
  { category: 'Tools' },
  { category: 'Audio', inStock: true, sort: 'price_asc' },
  { brand: BRANDS[3] },
  { minPrice: 10_000, maxPrice: 25_000, sort: 'price_asc' },
  { attributes: { colour: ['red'] }, category: 'Apparel' },
  { attributes: { colour: ['red', 'blue'], size: ['M'] }, inStock: true },
  { sort: 'newest' },
  { sort: 'title', page: 5 },
  { q: 'smart', sort: 'newest', page: 3 },
  { category: 'Garden', minPrice: 5_000, inStock: true, sort: 'newest' },
  { q: 'compact', attributes: { warranty: ['2'] } },
  {},
];
const filtersAt = (i: number): CatalogFilters => ({ page: 1, pageSize: 20, ...MIX[i % MIX.length] });

const catalog = Array.from({ length: PRODUCTS }, (_, n) => product(n));
console.log(`generated ${PRODUCTS.toLocaleString()} products; RSS ${rssMiB()} MiB`);

async function loadElasticsearch(client: Client, prefix: string) {
  const alias = catalogAlias(prefix);
  const old = Object.keys(await client.indices.getAlias({ name: alias }).catch(() => ({})));
  const index = newCatalogIndexName(prefix);
  await createCatalogIndex(client, index, { replaying: true });
  for (let i = 0; i < catalog.length; i += CHUNK) {
    const result = await client.bulk({
      operations: catalog
        .slice(i, i + CHUNK)
        .flatMap((doc) => [{ index: { _index: index, _id: doc.sku } }, doc]),
    });
    if (result.errors) throw new Error('bulk load into Elasticsearch failed');
  }
  await client.indices.putSettings({ index, settings: { refresh_interval: '1s' } });
  await client.indices.refresh({ index });
  await client.indices.forcemerge({ index, max_num_segments: 1 });
  await client.indices.updateAliases({
    actions: [...old.map((o) => ({ remove: { index: o, alias } })), { add: { index, alias } }],
  });
  for (const o of old) await client.indices.delete({ index: o });
  return alias;
}

/** The catalog straight into the SQL read model's tables, 5,000 rows per statement. */
async function loadSql(db: SqlClient) {
  await migrate(db);
  for (let i = 0; i < catalog.length; i += CHUNK) {
    const rows = catalog.slice(i, i + CHUNK).map((d) => ({
      sku: d.sku,
      title: d.title,
      description: d.description,
      brand: d.brand,
      category: d.category,
      attributes: d.attributes,
      price_amount: d.price,
      currency: d.currency,
      listed: d.listed,
      listed_at: d.listedAt,
      updated_at: d.updatedAt,
      revision: 1,
      in_stock: d.onHand > 0,
      on_hand: d.onHand,
      reserved: 0,
    }));
    await db.query(
      `INSERT INTO products (sku, title, description, brand, category, attributes, price_amount, currency,
                             listed, listed_at, updated_at, revision, in_stock)
       SELECT sku, title, description, brand, category, attributes, price_amount, currency, listed, listed_at,
              updated_at, revision, in_stock
         FROM jsonb_to_recordset($1::jsonb) AS r(sku text, title text, description text, brand text,
              category text, attributes jsonb, price_amount bigint, currency text, listed boolean,
              listed_at timestamptz, updated_at timestamptz, revision bigint, in_stock boolean)`,
      [JSON.stringify(rows)],
    );
    await db.query(
      `INSERT INTO product_availability (sku, on_hand, reserved, revision)
       SELECT sku, on_hand, reserved, 1 FROM jsonb_to_recordset($1::jsonb) AS r(sku text, on_hand bigint, reserved bigint)`,
      [JSON.stringify(rows)],
    );
  }
  // The facet counts the catalog projection keeps, counted from the rows as its migration counts them.
  const migration = readFileSync(
    new URL('../migrations/0015_catalog_facet_counts.sql', import.meta.url),
    'utf8',
  );
  await db.exec(migration.slice(migration.indexOf('INSERT INTO catalog_facet_counts')));
  await db.exec('ANALYZE products; ANALYZE product_availability; ANALYZE catalog_facet_counts');
  return db;
}

/** The Elasticsearch node's resident memory, when this machine runs it (the services script's pid file). */
function elasticsearchRssMiB(): number | string {
  try {
    const dir = process.env.SERVICES_CACHE_DIR ?? '/var/tmp/eventful-commerce-services';
    const pid = readFileSync(`${dir}/elasticsearch-9200/elasticsearch.pid`, 'utf8').trim();
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 'n/a';
  } catch {
    return 'n/a';
  }
}

const row = (engine: string, concurrency: number, m: Measurement, rss: number | string) => ({
  engine,
  'in flight': concurrency,
  searches: m.operations,
  'req/s': fixed(m.perSecond),
  'p50 ms': fixed(m.p50, 1),
  'p99 ms': fixed(m.p99, 1),
  'RSS MiB': rss,
});

async function measure(engine: string, search: CatalogSearch, rss: () => number | string) {
  // Warmed up as a running engine is (its JIT, its caches): the mix at 8 in flight, not measured.
  let warming = 0;
  await runClosedLoop(8, WARMUP_SECONDS, () => search.searchCatalog(filtersAt(warming++)));
  const rows = [];
  for (const concurrency of [1, 8]) {
    let next = 0;
    const m = await runClosedLoop(concurrency, SECONDS, () => search.searchCatalog(filtersAt(next++)));
    rows.push(row(engine, concurrency, m, rss()));
  }
  // The slowest searches of the mix, one at a time.
  const perQuery = [];
  for (let i = 0; i < MIX.length; i++) {
    const times = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      await search.searchCatalog(filtersAt(i));
      times.push(performance.now() - t0);
    }
    perQuery.push({ query: JSON.stringify(MIX[i]), 'median ms': fixed(times.sort((a, b) => a - b)[2]!, 1) });
  }
  perQuery.sort((a, b) => b['median ms'] - a['median ms']);
  return { rows, slowest: perQuery.slice(0, 5) };
}

const client = new Client({ node: serviceUrl('ELASTICSEARCH_URL'), requestTimeout: 120_000 });
let started = performance.now();
const alias = await loadElasticsearch(client, 'bench-search-');
console.log(`Elasticsearch: loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
started = performance.now();
const db = await loadSql(await openPGlite());
console.log(`PGlite: loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; RSS ${rssMiB()} MiB`);
started = performance.now();
const scratch = await scratchDatabase('bench_search');
const server = await loadSql(connectPostgres({ connectionString: scratch.url, maxConnections: 16 }));
console.log(`PostgreSQL 15: loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const elasticsearch = elasticsearchCatalogSearch(client, alias);
/**
 * The SQL adapter reuses facet counts while the catalog stays at the version they were counted at
 * (CATALOG_VERSION_SQL: the catalog projection's checkpoint, moved by every stock change, and the
 * last write of product documents). Here the catalog never changes, so these clients report new
 * versions every time they are asked: `products` changes too for a shop whose product documents
 * change between any two searches (facets are counted every time), `stock` alone for a shop taking
 * checkouts (facets that depend on stock, the in-stock filter's, are counted every time).
 */
const changing = (sql: SqlClient, what: 'products' | 'stock'): SqlClient => {
  let version = 0;
  return {
    ...sql,
    query: (text, params) =>
      text === CATALOG_VERSION_SQL
        ? Promise.resolve([
            { catalog: String(++version), products: what === 'products' ? String(version) : '0' },
          ] as never)
        : sql.query(text, params),
  };
};
const searchIn = (sql: SqlClient) => sqlCatalogSearch(sql, createCatalogReadModel(sql));

// The embedded profile's index, built from the read model as at the platform's start.
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
started = performance.now();
const { docs } = await readCatalogDocuments(db);
const read = performance.now() - started;
const index = new CatalogIndex();
index.put(docs);
index.search({ page: 1, pageSize: 1 }); // sorts its orders
global.gc?.();
console.log(
  `in-process index: read ${docs.length.toLocaleString()} documents in ${(read / 1000).toFixed(1)} s, ` +
    `built in ${((performance.now() - started - read) / 1000).toFixed(1)} s; ` +
    `heap +${Math.round((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20)} MiB; RSS ${rssMiB()} MiB`,
);
const inProcess = (change?: 'price' | 'stock'): CatalogSearch => {
  let n = 0;
  return {
    engine: 'in-process',
    async searchCatalog(filters) {
      if (change) {
        // What a batch of the index's feed does: one document replaced (a price moves it in two orders).
        const doc = docs[(n++ * 7919) % docs.length]!;
        index.put([
          change === 'price'
            ? { ...doc, price: (doc.price ?? 0) + (n % 2 ? 1 : -1), productRevision: doc.productRevision + 1 }
            : { ...doc, available: doc.available + (n % 2 ? -1 : 1), stockRevision: doc.stockRevision + 1 },
        ]);
        if (n % 2 === 0) index.put([doc]);
      }
      return index.search(filters);
    },
    ping: async () => undefined,
    close: async () => undefined,
  };
};
const postgres = searchIn(changing(db, 'products'));
const postgresStock = searchIn(changing(db, 'stock'));
const postgresUnchanged = searchIn(db);
const postgresServer = searchIn(changing(server, 'products'));

// The engines must agree before their speed means anything: PGlite is the reference.
let disagreements = 0;
for (let i = 0; i < MIX.length; i++) {
  const [reference, ...others] = await Promise.all(
    [postgres, elasticsearch, postgresServer, inProcess()].map((engine) =>
      engine.searchCatalog(filtersAt(i)),
    ),
  );
  // Relevance may order equal scores differently, and each engine weighs words its own way: then the
  // same number of products and the same counts will do.
  const byRelevance = MIX[i]!.q !== undefined && MIX[i]!.sort === undefined;
  const same = others.every(
    (other) =>
      other.total === reference!.total &&
      isDeepStrictEqual(other.facets, reference!.facets) &&
      (byRelevance
        ? other.items.length === reference!.items.length
        : isDeepStrictEqual(other.items, reference!.items)),
  );
  if (!same) {
    disagreements++;
    console.log(
      `engines disagree on ${JSON.stringify(MIX[i])}: totals ${others.map((o) => o.total).join(' / ')}`,
    );
  }
}
console.log(`${MIX.length - disagreements} of ${MIX.length} searches answered alike by all four engines`);

/** BENCH_ENGINES: which to measure (all of them agree first either way). */
const ENGINES = (process.env.BENCH_ENGINES ?? 'elasticsearch,in-process,pglite,postgres').split(',');
const runs: [string, string, CatalogSearch, () => number | string][] = [
  ['elasticsearch', 'Elasticsearch 9.2', elasticsearch, () => `${elasticsearchRssMiB()} (node)`],
  ['in-process', 'in-process index, unchanged', inProcess(), () => `${rssMiB()} (process)`],
  ['in-process', 'in-process index, a price changing', inProcess('price'), () => `${rssMiB()} (process)`],
  ['in-process', 'in-process index, stock changing', inProcess('stock'), () => `${rssMiB()} (process)`],
  ['pglite', 'PGlite, products changing', postgres, () => `${rssMiB()} (process)`],
  ['pglite', 'PGlite, stock changing', postgresStock, () => `${rssMiB()} (process)`],
  ['pglite', 'PGlite, catalog unchanged', postgresUnchanged, () => `${rssMiB()} (process)`],
  ['postgres', 'PostgreSQL 15, products changing', postgresServer, () => 'n/a (server)'],
];
const measured: {
  engine: string;
  rows: ReturnType<typeof row>[];
  slowest: Record<string, string | number>[];
}[] = [];
for (const [engine, name, search, rss] of runs)
  if (ENGINES.includes(engine)) measured.push({ engine: name, ...(await measure(name, search, rss)) });
printTable(
  `Catalog search, ${PRODUCTS.toLocaleString()} products, facets on every search, ${SECONDS} s per run`,
  measured.flatMap((m) => m.rows),
);
for (const m of measured) printTable(`Slowest searches of the mix, ${m.engine} (median of 5)`, m.slowest);

await client.close();
await db.close();
await server.close();
await scratch.drop();
