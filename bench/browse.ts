// The browse mix beside product detail, in the same run:   npm run bench:browse
// The platform runs as operators run it (embedded: one process; services: an API process and a worker
// at BENCH_WORKER_NICE on PostgreSQL, Redis and Elasticsearch) with the demo catalog (1,200 products). Measured,
// each with autocannon and 32 connections, one after the other on the same processes:
//  1. product detail: 30 product pages, as shoppers open them;
//  2. the browse mix: 30 listing pages as shoppers request them (the six category pages and their
//     second page by price, eight brand pages in stock, eight word searches, a price range, the newest
//     first), 24 products a page, facets on every one;
//  3. listing pages nobody asked before (a price range of its own each time), 8 connections.
// The goal (issue 17): the browse mix at >= 0.5 of product detail's rate, p99 <= 20 ms. The machine's
// load average is printed with each figure: the load generator shares the two cores with the platform.
// BENCH_PROFILES (embedded,services), BENCH_SECONDS (10), BENCH_ROUNDS (2: detail, browse, detail, browse).
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { demoCatalog } from '../src/seed/demo-catalog.ts';
import { serviceUrl } from '../test/support/services.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable } from './lib/measure.ts';
import { scrapeMetrics } from './lib/metrics.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 32;
const PAGE_SIZE = 24;

const catalog = demoCatalog();
const categories = [...new Set(catalog.map((p) => p.category))];
const brands = [...new Set(catalog.map((p) => p.brand))];
const WORDS = ['wireless', 'cotton', 'cast iron', 'harbour', 'puzzle', 'ryzen', 'over-ear', 'kettle'];

/** The 30 listing pages of the mix. */
const BROWSE = (
  [
    ...categories.map((category) => ({ category })),
    ...categories.map((category) => ({ category, sort: 'price_asc', page: '2' })),
    ...brands
      .filter((_, i) => i % 4 === 0)
      .slice(0, 8)
      .map((brand) => ({ brand, inStock: 'true' })),
    ...WORDS.map((q) => ({ q })),
    { minPrice: '2000', maxPrice: '5000', sort: 'price_asc' },
    { sort: 'newest' },
  ] as Record<string, string>[]
).map((query) => `/products?${new URLSearchParams({ ...query, pageSize: String(PAGE_SIZE) })}`);
if (BROWSE.length !== 30) throw new Error(`the mix has ${BROWSE.length} pages, not 30`);
const DETAIL = catalog.filter((_, i) => i % 40 === 0).map((p) => `/products/${encodeURIComponent(p.sku)}`);

type Row = Record<string, string | number>;
const rows: Row[] = [];
const load = () => loadavg()[0]!.toFixed(1);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** autocannon over `paths` in turn on each connection; every answer must be 200. */
async function hammer(base: string, paths: readonly string[], connections: number, unique = false) {
  let n = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: SECONDS,
    requests: unique
      ? [
          {
            method: 'GET',
            // A price range of its own each time: no answer kept for it anywhere.
            setupRequest: (request) => ({
              ...request,
              path: `/products?minPrice=${1000 + (n++ % 1_000_000)}&maxPrice=${100_000 + (n % 7)}&pageSize=${PAGE_SIZE}`,
            }),
          },
        ]
      : paths.map((path) => ({ method: 'GET' as const, path })),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} answers were not 2xx, ${result.errors} errors`);
  return result;
}

async function platformRss(urls: readonly string[]) {
  const mib = [];
  for (const url of urls) {
    const text = await scrapeMetrics(url);
    mib.push(fixed(Number(/process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0) / 2 ** 20));
  }
  return mib.join(' + ');
}

async function measureProfile(profile: 'embedded' | 'services') {
  const scratch = profile === 'services' ? await scratchDatabase('bench_browse') : undefined;
  const prefix = `bench-browse-${randomBytes(3).toString('hex')}-`;
  const common = { JWT_SECRET: 'bench-secret-bench-secret-bench-secret!!', PASSWORD_HASH_COST: '10' };
  const services = scratch && {
    DATABASE_URL: scratch.url,
    DATABASE_POOL_SIZE: '32',
    REDIS_URL: serviceUrl('REDIS_URL'),
    REDIS_KEY_PREFIX: prefix,
    ELASTICSEARCH_URL: serviceUrl('ELASTICSEARCH_URL'),
    ELASTICSEARCH_INDEX_PREFIX: prefix,
  };
  const processes = services
    ? [
        await startPlatformProcess({ ...common, ...services, SEED_DEMO: 'true', ROLE: 'api' }),
        await startPlatformProcess({ ...common, ...services, ROLE: 'worker' }),
      ]
    : [await startPlatformProcess({ ...common, DATA_DIR: 'memory://' })];
  const base = processes[0]!.url;
  try {
    await until('the catalog in the listings', async () => {
      const page = (await (await fetch(`${base}/products?pageSize=1`)).json()) as { total: number };
      return page.total === catalog.length;
    });
    // Every page of the mix once, and a product page: the processes compile their paths first.
    for (const path of [...BROWSE, ...DETAIL]) await fetch(`${base}${path}`).then((r) => r.arrayBuffer());
    const bytes = await Promise.all(
      [BROWSE, DETAIL].map(async (paths) => {
        let total = 0;
        for (const path of paths) total += (await (await fetch(`${base}${path}`)).arrayBuffer()).byteLength;
        return Math.round(total / paths.length);
      }),
    );
    for (let round = 1; round <= ROUNDS; round++) {
      const detailLoad = load();
      const detail = await hammer(base, DETAIL, CONNECTIONS);
      const browseLoad = load();
      const browse = await hammer(base, BROWSE, CONNECTIONS);
      rows.push({
        profile,
        round,
        'detail req/s': fixed(detail.requests.average),
        'detail p50/p99 ms': `${detail.latency.p50} / ${detail.latency.p99}`,
        'browse req/s': fixed(browse.requests.average),
        'browse p50/p99 ms': `${browse.latency.p50} / ${browse.latency.p99}`,
        'browse / detail': fixed(browse.requests.average / detail.requests.average, 2),
        'load (detail, browse)': `${detailLoad}, ${browseLoad}`,
        'bytes (browse, detail)': `${bytes[0]}, ${bytes[1]}`,
        'RSS MiB': await platformRss(processes.map((p) => p.url)),
      });
    }
    const uncachedLoad = load();
    const uncached = await hammer(base, [], 8, true);
    rows.push({
      profile,
      round: 'unasked',
      'browse req/s': fixed(uncached.requests.average),
      'browse p50/p99 ms': `${uncached.latency.p50} / ${uncached.latency.p99}`,
      'load (detail, browse)': `-, ${uncachedLoad}`,
      'RSS MiB': await platformRss(processes.map((p) => p.url)),
    });
  } finally {
    for (const p of processes) await p.stop();
    await scratch?.drop();
    if (services) await dropPrefix(services.REDIS_URL, services.ELASTICSEARCH_URL, prefix);
  }
}

/** The run's Redis keys and search indices. */
async function dropPrefix(redisUrl: string, elasticsearchUrl: string, prefix: string) {
  const redis = new Redis(redisUrl);
  for (let cursor = '0'; ;) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  await redis.quit();
  const client = new Client({ node: elasticsearchUrl });
  const indices = await client.cat.indices({ index: `${prefix}*`, format: 'json', h: ['index'] });
  for (const { index } of indices) if (index) await client.indices.delete({ index });
  await client.close();
}

for (const profile of (process.env.BENCH_PROFILES ?? 'embedded,services').split(',') as (
  'embedded' | 'services'
)[])
  await measureProfile(profile);
printTable(
  `Browsing beside product detail (demo catalog, ${catalog.length} products; ${SECONDS} s per measurement, ` +
    `${CONNECTIONS} connections, 8 for the unasked pages; load average of the 2 cores at each start)`,
  rows,
);
