import type { CommandHandlers } from '../commands/index.ts';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { CartState } from '../domain/cart/index.ts';
import { LOG_START, type EventStore, type Subscription } from '../eventstore/event-store.ts';
import {
  inProcessPageCache,
  type CatalogReadModel,
  type PageCache,
  type ProductPage,
} from '../projections/catalog/index.ts';
import { observeProjectionLag, type Metrics } from '../observability/metrics.ts';
import { runExternalProjection, type ExternalProjection } from '../subscriptions/index.ts';
import { cartsThroughViews, cartViewProjection, redisCartViews } from './cart-views.ts';
import { PRODUCT_PAGE_TTL_MS, productPageEviction, redisProductPages } from './product-pages.ts';
import { connectRedis } from './redis.ts';
import {
  readCounters,
  redisStockCounters,
  stockCountersProjection,
  type StockCounters,
  type StockCounts,
} from './stock-counters.ts';
import { inProcessStreamViews, type StreamViews, type Versioned } from './stream-views.ts';

/**
 * The read models kept outside SQL, and where each lives: Redis when REDIS_URL is set (services
 * profile), this process otherwise (embedded). The API reads them through this object only.
 */
export type ReadModels = Readonly<{
  store: 'redis' | 'in-process';
  productPages: PageCache<ProductPage>;
  /** A cart stream's present state (see cartsThroughViews). */
  cartState(streamId: string): Promise<Versioned<CartState>>;
  /** Counters per inventory stream; absent for a stream not counted (yet, or here). */
  stockCounters(inventoryStreamIds: readonly string[]): Promise<(StockCounters | undefined)[]>;
  /** The projections that keep a checkpoint in the database (none in-process: they start over each time). */
  checkpointed: readonly string[];
  /** Starts the projections that keep them (ROLE all or worker). */
  start(): Promise<Subscription[]>;
  /** Throws if the store does not answer (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}>;

export function openReadModels(options: {
  config: Pick<Config, 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'LOG_LEVEL'>;
  db: SqlClient;
  store: EventStore;
  commands: Pick<CommandHandlers, 'cart'>;
  /** The catalog read model whose writes the product page caches follow. */
  catalog: Pick<CatalogReadModel, 'pages' | 'written'>;
  /** Where the Redis projections report their lag (append to visible). */
  metrics?: Pick<Metrics, 'projectionLag' | 'projectionLagLast'>;
}): ReadModels {
  const { config, db, store, commands, catalog, metrics } = options;
  const fromStream = async (streamId: string) => {
    const { state, version } = await commands.cart.load(streamId);
    return { state, version };
  };
  const onError = (projection: string) => (error: unknown) => {
    if (config.LOG_LEVEL !== 'silent') console.error(`${projection}: ${(error as Error).message}`);
  };

  if (!config.REDIS_URL) {
    const counters = inProcessStreamViews<StockCounts>();
    const { pages } = catalog;
    return {
      store: 'in-process',
      checkpointed: [],
      productPages: inProcessPageCache(pages),
      // The command handler keeps recent cart states in this process: the stream, read from there on.
      cartState: fromStream,
      stockCounters: (ids) => readCounters(counters, ids),
      async start() {
        // The catalog projection runs here now and tells the cache of every write: eviction is exact.
        pages.keepFor(PRODUCT_PAGE_TTL_MS);
        return [followInProcess(store, stockCountersProjection(counters, store), onError('stock counters'))];
      },
      ping: async () => undefined,
      close: async () => undefined,
    };
  }

  const redis = connectRedis(config.REDIS_URL);
  const keys = { redis, prefix: config.REDIS_KEY_PREFIX };
  const pages = redisProductPages(keys, catalog.written);
  const carts = redisCartViews(keys);
  const counters: StreamViews<StockCounts> = redisStockCounters(keys);
  const projections = [
    productPageEviction(pages),
    cartViewProjection(carts, store),
    stockCountersProjection(counters, store),
  ];
  return {
    store: 'redis',
    checkpointed: projections.map((p) => p.name),
    productPages: pages,
    cartState: cartsThroughViews(carts, store, fromStream),
    stockCounters: (ids) => readCounters(counters, ids),
    async start() {
      return Promise.all(
        projections.map((projection) =>
          runExternalProjection(store, db, projection, {
            onError: onError(projection.name),
            onApplied: (events) => metrics && observeProjectionLag(metrics, projection.name, events),
          }),
        ),
      );
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * An in-process read model starts empty with its process, so it follows the log from the start every
 * time and keeps no checkpoint (a saved one would skip what this process never saw).
 */
function followInProcess(
  store: EventStore,
  projection: ExternalProjection,
  onError: (error: unknown) => void,
): Subscription {
  return store.subscribe(
    async (events) => {
      if (events.length > 0) await projection.apply(events);
    },
    { after: LOG_START, batchSize: 500, types: [...projection.eventTypes], onError },
  );
}
