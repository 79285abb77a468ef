import { Client } from '@elastic/elasticsearch';
import { connectRedis } from '../cache/redis.ts';
import { redisListingAnswers } from '../cache/redis-listing-answers.ts';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { observeProjectionLag, type Metrics } from '../observability/metrics.ts';
import type { CatalogReadModel } from '../projections/catalog/index.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import { sqlCatalogSearch, type CatalogSearch } from './catalog-search.ts';
import { catalogAlias } from './elasticsearch/catalog-index.ts';
import { elasticsearchCatalogSearch } from './elasticsearch/elasticsearch-search.ts';
import { catalogSearchProjection } from './elasticsearch/projection.ts';
import { catalogSearchRebuild, ensureCatalogIndex, type RebuildProgress } from './elasticsearch/rebuild.ts';
import { CATALOG_INDEX, openInProcessCatalogSearch } from './in-process/in-process-search.ts';
import {
  InProcessListingAnswers,
  keptListingPages,
  type ListingAnswerStore,
  type ListingInvalidation,
} from './listing-pages.ts';

export type { CatalogSearch } from './catalog-search.ts';
export { sqlCatalogSearch } from './catalog-search.ts';
export { CATALOG_SEARCH_PROJECTION } from './elasticsearch/projection.ts';

/** Catalog search as the platform wires it: the search itself, and what keeps its index up to date. */
export type SearchModule = Readonly<{
  search: CatalogSearch;
  /** Elasticsearch only: the projection a worker runs to feed the index. */
  projection?: ExternalProjection;
  /** Elasticsearch only: rebuilds the index from position 0 and swaps it in (name `catalog-search`). */
  rebuildable?: Readonly<{
    name: string;
    rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<{ events: number }>;
  }>;
}>;

type SearchConfig = Pick<
  Config,
  'ELASTICSEARCH_URL' | 'ELASTICSEARCH_INDEX_PREFIX' | 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'ROLE' | 'LOG_LEVEL'
>;

/**
 * The search engine, and where listing pages are kept (docs/decisions/0024):
 *  - ELASTICSEARCH_URL set: Elasticsearch (its index created on first use, behind the alias
 *    `<ELASTICSEARCH_INDEX_PREFIX>catalog`); listing answers in Redis with REDIS_URL, shared by every
 *    API process and invalidated by the index's projection wherever it runs; without Redis, in this
 *    process when the projection runs here too (ROLE all), else not kept;
 *  - PGlite (embedded): an index in this process's memory fed by the catalog projection's commits,
 *    listing answers kept beside it;
 *  - PostgreSQL without Elasticsearch: full-text search in the catalog read model, every page searched.
 */
export async function openCatalogSearch(
  config: SearchConfig,
  db: SqlClient,
  store: EventStore,
  catalog: Pick<CatalogReadModel, 'searchCatalog' | 'followCommits'>,
  options: { metrics?: Pick<Metrics, 'projectionLag' | 'projectionLagLast'> } = {},
): Promise<SearchModule> {
  const report = (what: string) => (error: unknown) => {
    if (config.LOG_LEVEL !== 'silent') console.error(`${what}: ${(error as Error).message}`);
  };
  if (!config.ELASTICSEARCH_URL) {
    if (db.dialect !== 'pglite') return { search: sqlCatalogSearch(db, catalog) };
    const answers = new InProcessListingAnswers();
    const engine = await openInProcessCatalogSearch({
      db,
      store,
      catalog,
      invalidation: answers,
      onApplied: (events) => options.metrics && observeProjectionLag(options.metrics, CATALOG_INDEX, events),
      onError: report('catalog index'),
    });
    return { search: { ...engine, listings: keptListingPages(engine, answers) } };
  }
  const client = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 30_000 });
  const prefix = config.ELASTICSEARCH_INDEX_PREFIX;
  const alias = catalogAlias(prefix);
  try {
    await ensureCatalogIndex({ client, db, prefix });
  } catch (error) {
    await client.close();
    throw error;
  }
  const engine = elasticsearchCatalogSearch(client, alias);
  const answers = keptAnswers(config);
  return {
    search: {
      ...engine,
      ...(answers ? { listings: keptListingPages(engine, answers) } : {}),
      async close() {
        await engine.close();
        await answers?.close();
      },
    },
    projection: catalogSearchProjection({ client, store, alias, invalidation: answers }),
    rebuildable: catalogSearchRebuild({ client, store, db, prefix, invalidation: answers }),
  };
}

type Kept = ListingAnswerStore & ListingInvalidation & { close(): Promise<void> };

/** Where Elasticsearch's listing answers are kept, if anywhere their invalidations reach. */
function keptAnswers(config: SearchConfig): Kept | undefined {
  if (config.REDIS_URL) {
    const redis = connectRedis(config.REDIS_URL);
    const answers = redisListingAnswers(
      { redis, prefix: config.REDIS_KEY_PREFIX },
      connectRedis(config.REDIS_URL),
    );
    return {
      peek: (key) => answers.peek(key),
      getOrSearch: (key, search) => answers.getOrSearch(key, search),
      invalidate: (tags) => answers.invalidate(tags),
      async close() {
        await answers.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  if (config.ROLE === 'api') return undefined;
  const answers = new InProcessListingAnswers();
  return {
    peek: (key) => answers.peek(key),
    getOrSearch: (key, search) => answers.getOrSearch(key, search),
    invalidate: (tags) => answers.invalidate(tags),
    close: async () => undefined,
  };
}
