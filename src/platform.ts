import { createCommandHandlers, type CommandHandlers } from './commands/index.ts';
import { fraudPolicy, type Config } from './config.ts';
import { openReadModels, type ReadModels } from './cache/read-models.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open.ts';
import { inBackground, type SqlClient } from './db/sql-client.ts';
import { DOMAIN_EVENT_TYPES } from './domain/event-types.ts';
import { FlashSaleGate } from './gate/index.ts';
import type { EventStore, Subscription } from './eventstore/event-store.ts';
import { SqlEventStore } from './eventstore/sql-event-store.ts';
import { startIntegration, type Integration } from './integration/index.ts';
import { Users } from './identity/users.ts';
import { createMetrics, observeProjectionLag, type Metrics } from './observability/metrics.ts';
import { SimulatedGateway } from './payments/simulated-gateway.ts';
import { StripeGateway } from './payments/stripe-gateway.ts';
import type { PaymentGateway } from './payments/payment-gateway.ts';
import { registerBusinessMetrics } from './projections/business/index.ts';
import { createSqlReadModels } from './projections/index.ts';
import { createFraudReadModel, type FraudReadModel } from './projections/fraud/index.ts';
import type { CatalogReadModel } from './projections/catalog/index.ts';
import {
  ProjectionOperations,
  runExternalProjection,
  type RebuildableProjection,
} from './subscriptions/index.ts';
import { CheckoutSaga } from './sagas/checkout/checkout-saga.ts';
import { activeReservationsProjection } from './sagas/checkout/reservation-expiry.ts';
import { createCheckoutQueue } from './sagas/checkout/saga-queue.ts';
import { startSagaWorker, type SagaWorker } from './sagas/checkout/saga-worker.ts';
import { RefundProcess } from './sagas/refund/refund-process.ts';
import { createRefundQueue } from './sagas/refund/refund-queue.ts';
import { startRefundWorker, type RefundWorker } from './sagas/refund/refund-worker.ts';
import { openCatalogSearch } from './search/index.ts';
import type { CatalogSearch } from './search/catalog-search.ts';
import { loadOrCreateSecret } from './secrets.ts';

/** The wired-up platform: one place that decides which adapter serves each port. */
export type Platform = Readonly<{
  config: Config;
  profile: 'embedded' | 'services';
  db: SqlClient;
  store: EventStore;
  commands: CommandHandlers;
  users: Users;
  gateway: PaymentGateway;
  saga: CheckoutSaga;
  /** The refund process: refunds, and stock back on hand after an order is cancelled or returned. */
  refunds: RefundProcess;
  metrics: Metrics;
  /** Product page cache, cart views and stock counters: in Redis when REDIS_URL is set, else in-process. */
  readModels: ReadModels;
  /** The catalog read model (product documents, availability, facet counts) and its caches. */
  catalog: CatalogReadModel;
  /** Live projections, their lag, rebuilds. */
  projections: ProjectionOperations;
  /** Catalog search: Elasticsearch when ELASTICSEARCH_URL is set, else PostgreSQL full-text search. */
  search: CatalogSearch;
  /** What the fraud rules measure, and the orders they hold for review. */
  fraud: FraudReadModel;
  /** The flash-sale gate: in Redis when REDIS_URL is set, else in-process. */
  gate: FlashSaleGate;
  jwtSecret: string;
  /** Starts the background work of this process (ROLE all or worker): projections and the checkout saga. */
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}>;

/** Parts a program embedding the platform adds to it (tests: a read model of their own). */
export type PlatformExtras = Readonly<{
  rebuildable?: readonly RebuildableProjection[];
  /** Told each named point the checkout saga reaches (the crash tests' failpoint); none by default. */
  sagaStepHook?: (step: string) => void;
  /** The same for the refund process. */
  refundStepHook?: (step: string) => void;
}>;

export async function openPlatform(config: Config, extras: PlatformExtras = {}): Promise<Platform> {
  const db = await openDatabase(config);
  await migrate(db);
  const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
  const sqlReadModels = createSqlReadModels(db);
  const { catalog } = sqlReadModels;
  const metrics = createMetrics();
  const searchModule = await openCatalogSearch(config, db, store, catalog, { metrics });
  registerBusinessMetrics(metrics.registry, db);
  const commands = createCommandHandlers(store, metrics);
  const readModels = openReadModels({ config, db, store, commands, catalog, metrics });
  const gate = new FlashSaleGate({ config, db, store, inventory: commands.inventory, metrics });
  const fraud = createFraudReadModel(db, { store });
  const checkoutQueue = createCheckoutQueue(db);
  const refundQueue = createRefundQueue(db);
  const projections = new ProjectionOperations({
    db,
    store,
    metrics,
    sql: [
      ...sqlReadModels.projections,
      checkoutQueue.projection,
      fraud.projection,
      activeReservationsProjection,
      refundQueue.projection,
    ],
    external: [
      ...(searchModule.rebuildable ? [searchModule.rebuildable] : []),
      ...(extras.rebuildable ?? []),
    ],
    followed: [...readModels.checkpointed, ...gate.checkpointed],
  });
  const gateway = paymentGateway(config, db);
  const saga = new CheckoutSaga({
    commands,
    gateway,
    metrics,
    reservationTtlMs: config.RESERVATION_TTL_SECONDS * 1000,
    unknownAnswerGraceMs: 20 * config.PAYMENT_TIMEOUT_MS,
    store,
    queue: checkoutQueue,
    fraudPolicy: fraudPolicy(config),
    customerFacts: fraud,
    onStep: extras.sagaStepHook,
  });
  const refunds = new RefundProcess({
    commands,
    gateway,
    metrics,
    store,
    queue: refundQueue,
    onStep: extras.refundStepHook,
  });
  const subscriptions: Subscription[] = [];
  let sagaWorker: SagaWorker | undefined;
  let refundWorker: RefundWorker | undefined;
  let integration: Integration | undefined;
  return {
    config,
    profile: config.DATABASE_URL ? 'services' : 'embedded',
    db,
    store,
    commands,
    users: new Users(db, config.PASSWORD_HASH_COST),
    gateway,
    saga,
    refunds,
    metrics,
    readModels,
    catalog,
    projections,
    search: searchModule.search,
    fraud,
    gate,
    jwtSecret: config.JWT_SECRET ?? (await loadOrCreateSecret(config.DATA_DIR, 'jwt-secret')),
    async startWorkers() {
      subscriptions.push(...(await projections.startLive()));
      subscriptions.push(...(await readModels.start()));
      subscriptions.push(...(await gate.start()));
      if (searchModule.projection)
        subscriptions.push(
          await runExternalProjection(store, db, searchModule.projection, {
            onApplied: (events) => observeProjectionLag(metrics, searchModule.projection!.name, events),
            onError: (error) => {
              if (config.LOG_LEVEL !== 'silent')
                console.error(`catalog search projection: ${(error as Error).message}`);
            },
          }),
        );
      sagaWorker = startSagaWorker(
        { saga, db: inBackground(db), store, commands },
        {
          leaseMs: config.SAGA_LEASE_SECONDS * 1000,
          concurrency: config.SAGA_CONCURRENCY,
          yielding: {
            above: config.SAGA_SURGE_ORDERS_PER_SECOND,
            concurrency: config.SAGA_SURGE_CONCURRENCY,
            forMs: config.SAGA_SURGE_MAX_SECONDS * 1000,
          },
          onPace: ({ slots, waitedMs }) => {
            metrics.sagaSlots.set(slots);
            metrics.sagaClaimedWait.set(waitedMs / 1000);
          },
          onError: (error, orderId) => {
            if (config.LOG_LEVEL !== 'silent')
              console.error(
                `checkout saga${orderId ? ` (order ${orderId})` : ''}: ${(error as Error).message}`,
              );
          },
        },
      );
      refundWorker = startRefundWorker(refunds, {
        leaseMs: config.SAGA_LEASE_SECONDS * 1000,
        onError: (error, orderId) => {
          if (config.LOG_LEVEL !== 'silent')
            console.error(
              `refund process${orderId ? ` (order ${orderId})` : ''}: ${(error as Error).message}`,
            );
        },
      });
      integration = await startIntegration({ config, db, store }); // Kafka relay + consumers when KAFKA_BROKERS is set
    },
    async close() {
      await integration?.stop();
      await sagaWorker?.stop();
      await refundWorker?.stop();
      await Promise.all(subscriptions.map((s) => s.stop()));
      await gate.close();
      await readModels.close();
      await searchModule.search.close();
      await store.close();
      await db.close();
    },
  };
}

/** Stripe when a key is set; else the simulated gateway, kept in `db` so that every process shares it. */
function paymentGateway(config: Config, db: SqlClient): PaymentGateway {
  if (!config.STRIPE_SECRET_KEY)
    return new SimulatedGateway({ db: inBackground(db), timeoutMs: config.PAYMENT_TIMEOUT_MS });
  const endpoint = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : undefined;
  return new StripeGateway({
    secretKey: config.STRIPE_SECRET_KEY,
    timeoutMs: config.PAYMENT_TIMEOUT_MS,
    ...(endpoint
      ? {
          host: endpoint.hostname,
          port: Number(endpoint.port || (endpoint.protocol === 'http:' ? 80 : 443)),
          protocol: endpoint.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  });
}
