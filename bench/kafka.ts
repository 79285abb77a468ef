// Kafka relay throughput and append-to-consumer latency, against the real PostgreSQL and Kafka.
//   npm run bench:kafka      (= node scripts/services.mjs up postgres kafka && tsx bench/kafka.ts)
// 1. Throughput: BENCH_EVENTS events (orders placed and confirmed) wait in the log; a relay starts from
//    its empty checkpoint and publishes them all (acks=all, idempotent producer, checkpoint per batch).
//    Goal: 20,000 events/s or more.
// 2. Latency: with the relay and consumers running, orders are appended at BENCH_RATE events/s for
//    BENCH_SECONDS; each event's latency runs from just before its append to (a) a kafkajs consumer
//    receiving it and (b) the analytics sink having committed its effect in PostgreSQL.
//    Goal: p99 under 500 ms.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { migrate } from '../src/db/migrate.ts';
import { connectPostgres } from '../src/db/postgres.ts';
import { DOMAIN_EVENT_TYPES } from '../src/domain/event-types.ts';
import type { NewEvent } from '../src/eventstore/event-store.ts';
import { SqlEventStore } from '../src/eventstore/sql-event-store.ts';
import { analyticsHandler } from '../src/integration/consumers/analytics.ts';
import { IntegrationConsumer } from '../src/integration/consumers/consumer.ts';
import type { IntegrationEvent } from '../src/integration/events.ts';
import { DEFAULT_PARTITIONS, kafkaClient, type KafkaSettings } from '../src/integration/kafka-client.ts';
import { KafkaRelay } from '../src/integration/relay.ts';
import { scratchDatabase } from './lib/database.ts';
import { fixed, printTable, rssMiB, summarise } from './lib/measure.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);

function brokers(): string {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const envFile = new URL('../.services/env.json', import.meta.url);
  const url = existsSync(envFile) ? JSON.parse(readFileSync(envFile, 'utf8')).KAFKA_BROKERS : undefined;
  if (!url) throw new Error('no Kafka: set KAFKA_BROKERS or run "npm run services up kafka"');
  return url;
}

const scratch = await scratchDatabase('bench_kafka');
const db = connectPostgres({ connectionString: scratch.url, maxConnections: 24 });
await migrate(db);
const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
const settings: KafkaSettings = {
  brokers: [brokers()],
  clientId: 'bench',
  prefix: `bench-${randomBytes(3).toString('hex')}.`,
  partitions: DEFAULT_PARTITIONS,
  logLevel: 'error',
};

/** One order placed and confirmed: two events in one append to its stream. */
function order(): { streamId: string; events: NewEvent[] } {
  const orderId = randomUUID();
  const at = new Date().toISOString();
  const metadata = {
    correlationId: orderId,
    causationId: null,
    actor: { id: 'bench', role: 'system' },
    occurredAt: at,
  };
  const price = { amount: 1999, currency: 'USD' };
  const sku = `SKU-${orderId.charCodeAt(0) % 50}`;
  return {
    streamId: `order-${orderId}`,
    events: [
      {
        type: 'OrderPlaced',
        data: {
          orderId,
          customerId: `customer-${orderId.slice(0, 4)}`,
          lines: [{ sku, quantity: 1, unitPrice: price, lineTotal: price }],
          total: price,
          paymentMethod: 'pm_card_visa',
          placedAt: at,
        },
        metadata,
      },
      { type: 'OrderConfirmed', data: { orderId, at }, metadata },
    ],
  };
}

async function appendOrders(count: number, concurrency = 24) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const { streamId, events } = order();
        await store.append(streamId, events, 'no_stream');
      }
    }),
  );
}

const rows: Record<string, string | number>[] = [];
const errors: string[] = [];
const onError = (error: unknown) => errors.push((error as Error).message);

// --- 1. throughput ---------------------------------------------------------------------------------
console.log(`seeding ${EVENTS} events (${EVENTS / 2} orders placed and confirmed) ...`);
let started = performance.now();
await appendOrders(EVENTS / 2);
console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

let firstAck = 0;
let lastAck = 0;
let acked = 0;
let ackedAtFirst = 0;
let relayDone: () => void = () => undefined;
const publishing = new Promise<void>((resolve) => (relayDone = resolve));
const relay = new KafkaRelay(store, db, kafkaClient(settings, 'relay'), settings, {
  holder: 'bench',
  leaseMs: 10_000,
  stockLowThreshold: 5,
  batchSize: BATCH,
  onError,
  onPublished: ({ messages }) => {
    acked += messages;
    if (firstAck === 0) [firstAck, ackedAtFirst] = [performance.now(), acked];
    lastAck = performance.now();
    if (acked >= EVENTS) relayDone();
  },
});
started = performance.now();
relay.start();
await publishing;
const drainSeconds = (lastAck - started) / 1000;
rows.push({
  scenario: `relay: ${EVENTS} events from the log to Kafka (batch ${BATCH})`,
  'events/s': fixed(EVENTS / drainSeconds),
  seconds: fixed(drainSeconds, 2),
  'first ack after ms': fixed(firstAck - started),
  'after first ack, events/s': fixed((EVENTS - ackedAtFirst) / ((lastAck - firstAck) / 1000)),
  'rss MiB': rssMiB(),
});

// --- 2. latency ---------------------------------------------------------------------------------------
const appendedAt = new Map<string, number>();
const toConsumer: number[] = [];
const toAnalytics: number[] = [];
const kafka = new Kafka({
  clientId: 'bench-latency',
  brokers: [...settings.brokers],
  logLevel: logLevel.ERROR,
});
const probe = kafka.consumer({ groupId: `${settings.prefix}latency-probe`, maxWaitTimeInMs: 100 });
await probe.connect();
await probe.subscribe({ topics: [`${settings.prefix}orders`], fromBeginning: false });
let probeReady: () => void = () => undefined;
const joined = new Promise<void>((resolve) => (probeReady = resolve));
probe.on(probe.events.GROUP_JOIN, () => probeReady());
await probe.run({
  eachBatch: async ({ batch }) => {
    const now = performance.now();
    for (const message of batch.messages) {
      const { correlationId } = JSON.parse(message.value!.toString()) as IntegrationEvent;
      const at = appendedAt.get(correlationId);
      if (at !== undefined) toConsumer.push(now - at);
    }
  },
});
const analytics = new IntegrationConsumer(
  kafkaClient(settings, 'analytics'),
  db,
  settings,
  analyticsHandler,
  {
    onError,
    onApplied: (applied) => {
      const now = performance.now();
      for (const event of applied) {
        const at = appendedAt.get(event.correlationId);
        if (at !== undefined) toAnalytics.push(now - at);
      }
    },
  },
).start();
await joined;
// Let the analytics sink work through the throughput phase's backlog before measuring.
const backlog = performance.now();
while (performance.now() - backlog < 120_000) {
  const [row] = await db.query<{ n: string }>(
    `SELECT coalesce(sum(placed), 0)::text AS n FROM analytics_funnel_daily`,
  );
  if (Number(row!.n) >= EVENTS / 2) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}

console.log(`appending ${RATE} events/s for ${SECONDS} s with the relay and consumers running ...`);
const ordersPerTick = RATE / 2 / 100; // ticks of 10 ms
let owed = 0;
const appends: Promise<unknown>[] = [];
const end = performance.now() + SECONDS * 1000;
while (performance.now() < end) {
  const tick = performance.now();
  owed += ordersPerTick;
  for (; owed >= 1; owed--) {
    const { streamId, events } = order();
    appendedAt.set(events[0]!.metadata.correlationId, performance.now());
    appends.push(store.append(streamId, events, 'no_stream'));
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10 - (performance.now() - tick))));
}
await Promise.all(appends);
const expected = appendedAt.size * 2;
const settle = performance.now();
while ((toConsumer.length < expected || toAnalytics.length < expected) && performance.now() - settle < 30_000)
  await new Promise((resolve) => setTimeout(resolve, 100));

const consumerLatency = summarise(toConsumer, SECONDS);
const analyticsLatency = summarise(toAnalytics, SECONDS);
rows.push(
  {
    scenario: `append -> kafkajs consumer, ${RATE} events/s offered`,
    'events/s': fixed(consumerLatency.perSecond),
    'p50 ms': fixed(consumerLatency.p50, 1),
    'p99 ms': fixed(consumerLatency.p99, 1),
    received: `${toConsumer.length}/${expected}`,
  },
  {
    scenario: `append -> analytics effect committed in PostgreSQL`,
    'events/s': fixed(analyticsLatency.perSecond),
    'p50 ms': fixed(analyticsLatency.p50, 1),
    'p99 ms': fixed(analyticsLatency.p99, 1),
    received: `${toAnalytics.length}/${expected}`,
  },
);

printTable(
  'Kafka integration (relay: acks=all, idempotent producer; checkpoint after each acknowledged batch)',
  rows,
);
const throughputOk = EVENTS / drainSeconds >= 20_000;
const latencyOk = consumerLatency.p99 < 500;
console.log(
  `goals: relay >= 20,000 events/s: ${throughputOk ? 'met' : 'MISSED'}; append-to-consumer p99 < 500 ms: ${latencyOk ? 'met' : 'MISSED'}`,
);
if (errors.length > 0) console.log(`errors reported (${errors.length}), first: ${errors[0]}`);

await probe.disconnect();
await analytics.stop();
await relay.stop();
await db.close();
const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({
  topics: ['orders', 'payments', 'inventory'].map((t) => `${settings.prefix}${t}`),
});
await admin
  .deleteGroups([`${settings.prefix}latency-probe`, `${settings.prefix}analytics`])
  .catch(() => undefined);
await admin.disconnect();
await scratch.drop();
