import { mkdir } from 'node:fs/promises';
import { createCommandHandlers, type CommandHandlers } from './commands/index.ts';
import type { Config } from './config.ts';
import { migrate } from './db/migrate.ts';
import { openPGlite } from './db/pglite.ts';
import { connectPostgres } from './db/postgres.ts';
import type { SqlClient } from './db/sql-client.ts';
import { DOMAIN_EVENT_TYPES } from './domain/event-types.ts';
import type { EventStore, Subscription } from './eventstore/event-store.ts';
import { SqlEventStore } from './eventstore/sql-event-store.ts';
import { Users } from './identity/users.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { sqlProjections } from './projections/index.ts';
import { runSqlProjection } from './projections/runtime.ts';
import { loadOrCreateSecret } from './secrets.ts';

/** The wired-up platform: one place that decides which adapter serves each port. */
export type Platform = Readonly<{
  config: Config;
  profile: 'embedded' | 'services';
  db: SqlClient;
  store: EventStore;
  commands: CommandHandlers;
  users: Users;
  metrics: Metrics;
  jwtSecret: string;
  /** Starts the background work of this process: projections (and later the checkout saga). */
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}>;

export async function openPlatform(config: Config): Promise<Platform> {
  const db = config.DATABASE_URL
    ? connectPostgres({ connectionString: config.DATABASE_URL, maxConnections: config.DATABASE_POOL_SIZE })
    : config.DATA_DIR === 'memory://'
      ? await openPGlite()
      : await mkdir(config.DATA_DIR, { recursive: true }).then(() => openPGlite(config.DATA_DIR));
  await migrate(db);
  const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
  const metrics = createMetrics();
  const workers: Subscription[] = [];
  return {
    config,
    profile: config.DATABASE_URL ? 'services' : 'embedded',
    db,
    store,
    commands: createCommandHandlers(store, metrics),
    users: new Users(db, config.PASSWORD_HASH_COST),
    metrics,
    jwtSecret: config.JWT_SECRET ?? (await loadOrCreateSecret(config.DATA_DIR, 'jwt-secret')),
    async startWorkers() {
      for (const projection of sqlProjections) workers.push(await runSqlProjection(store, db, projection));
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await store.close();
      await db.close();
    },
  };
}
