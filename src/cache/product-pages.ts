import { INVENTORY_EVENT_TYPES, PRODUCT_EVENT_TYPES } from '../domain/event-types.ts';
import type { ProductDocument, ProductPage } from '../projections/catalog/queries.ts';
import type { PageCache, Revisions, WrittenRevisions } from '../projections/catalog/product-cache.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import { luaScript, redisAnswers, type RedisKeys } from './redis.ts';

/** How long Redis keeps a product page that nothing evicts. */
export const PRODUCT_PAGE_TTL_MS = 30 * 60_000;

/**
 * Product pages in Redis, cache-aside: `<prefix>product-page:{sku}` holds the page's JSON and the
 * catalog revisions it was read at, for 30 minutes; `<prefix>product-written:{sku}` holds the highest
 * stream versions the eviction projection has seen for the SKU (no time limit: one small hash per SKU).
 *
 * The race: a reader reads the SQL row, the catalog projection commits a change, the evictor deletes
 * the page, and only then does the reader put its (older) page. Both scripts below run atomically in
 * Redis, and a page is put only if its revisions are at least the versions the evictor has seen, so
 * the late put is refused whichever comes first. (The catalog projection counts every event of a
 * SKU's streams, so its revisions are the product and inventory stream versions.)
 *
 * How stale a page can be: the catalog projection and the evictor follow the same log, each from its
 * own checkpoint, in the same worker. Evictor ahead of the catalog: pages read from the old rows are
 * refused, so readers see exactly what the read model shows. Catalog ahead: a page cached before its
 * commit is served until the evictor reaches the event, so at most the evictor's lag behind the catalog
 * projection (tens of milliseconds when both run; if the evictor stops while the catalog goes on, up to
 * the 30 minutes of the key). A process that runs the catalog projection itself (ROLE all or worker)
 * also checks the revisions it has written before serving a page, which closes that window there.
 */
const OFFER = `
local product = tonumber(ARGV[2])
local stock = tonumber(ARGV[3])
local seen = redis.call('HMGET', KEYS[2], 'product', 'stock')
if product < tonumber(seen[1] or '0') or stock < tonumber(seen[2] or '0') then return 0 end
local cached = redis.call('HMGET', KEYS[1], 'product', 'stock')
if cached[1] and (tonumber(cached[1]) > product or tonumber(cached[2]) > stock) then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'product', ARGV[2], 'stock', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Raises the version seen (never lowers it) and deletes the page only if it is older than the event. */
const EVICT = `
local version = tonumber(ARGV[2])
if version > tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
local cached = redis.call('HGET', KEYS[1], ARGV[1])
if cached and tonumber(cached) < version then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

export type RedisProductPages = PageCache<ProductPage> &
  Readonly<{
    /** The event of stream version `version` changed the SKU's product (or its availability). */
    evict(sku: string, kind: keyof Revisions, version: number): Promise<void>;
    pageKey(sku: string): string;
  }>;

/** A page whose document is parsed only if someone asks for it: the API sends the JSON as it is. */
const pageOf = (json: string): ProductPage => {
  let document: ProductDocument | undefined;
  return {
    json,
    get document() {
      return (document ??= JSON.parse(json) as ProductDocument);
    },
  };
};

/**
 * `written`: the revisions this process's own catalog projection has written (ROLE all); a page older
 * than them is not served. Redis failing is a cache miss, never an error: the page is read from SQL.
 */
export function redisProductPages(
  { redis, prefix }: RedisKeys,
  written: WrittenRevisions,
  ttlMs = PRODUCT_PAGE_TTL_MS,
): RedisProductPages {
  const pageKey = (sku: string) => `${prefix}product-page:{${sku}}`;
  const seenKey = (sku: string) => `${prefix}product-written:{${sku}}`;
  const offer = luaScript(redis, 'offer_product_page', 2, OFFER);
  const evict = luaScript(redis, 'evict_product_page', 2, EVICT);
  return {
    pageKey,
    async get(sku) {
      if (!redisAnswers(redis)) return undefined;
      const [json, product, stock] = await redis
        .hmget(pageKey(sku), 'json', 'product', 'stock')
        .catch(() => [null, null, null]);
      if (!json || !written.upToDate(sku, { product: Number(product), stock: Number(stock) }))
        return undefined;
      return pageOf(json);
    },
    async offer(sku, page, revisions) {
      if (!redisAnswers(redis)) return;
      await offer([pageKey(sku), seenKey(sku)], [page.json, revisions.product, revisions.stock, ttlMs]).catch(
        () => undefined,
      );
    },
    async evict(sku, kind, version) {
      await evict([pageKey(sku), seenKey(sku)], [kind, version]);
    },
  };
}

const productTypes: ReadonlySet<string> = new Set(PRODUCT_EVENT_TYPES);
/** A commit moves units from reserved to gone: what is available to sell stays the same. */
const availabilityTypes = INVENTORY_EVENT_TYPES.filter((type) => type !== 'ReservationCommitted');

/**
 * Evicts a SKU's cached page on every product event and every stock event that changes what is
 * available. Idempotent by stream version: a re-delivered event finds the version already seen and
 * the page (if any) at least that new, and changes nothing.
 */
const evictingTypes: ReadonlySet<string> = new Set([...PRODUCT_EVENT_TYPES, ...availabilityTypes]);

export const productPageEviction = (pages: Pick<RedisProductPages, 'evict'>): ExternalProjection => ({
  name: 'redis-product-page-eviction',
  eventTypes: evictingTypes,
  async apply(events) {
    const latest = new Map<string, { sku: string; kind: keyof Revisions; version: number }>();
    for (const event of events) {
      if (!evictingTypes.has(event.type)) continue;
      const sku = (event.data as { sku: string }).sku;
      const kind = productTypes.has(event.type) ? 'product' : 'stock';
      const key = `${kind}\n${sku}`;
      if ((latest.get(key)?.version ?? 0) < event.streamVersion)
        latest.set(key, { sku, kind, version: event.streamVersion });
    }
    await Promise.all([...latest.values()].map(({ sku, kind, version }) => pages.evict(sku, kind, version)));
  },
});
