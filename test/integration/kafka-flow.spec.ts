import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversionFunnel, salesPerSkuPerDay } from '../../src/integration/consumers/analytics.ts';
import type { IntegrationEvent } from '../../src/integration/events.ts';
import { HEADERS } from '../../src/integration/kafka-client.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, stockProduct } from '../support/shop.ts';
import { analyticsApp } from './support/analytics-app.ts';
import { publishedSchemaValidator } from './support/json-schemas.ts';
import {
  countBy,
  deleteTopicsAndGroups,
  expectedIntegrationEvents,
  recordTopics,
  sharedBrokers,
  uniquePrefix,
} from './support/kafka.ts';
import { allSettled, logShowsAllCommitted } from './support/wait.ts';

// The whole platform on PostgreSQL with KAFKA_BROKERS set, against the real shared broker (topics and
// groups under a prefix of this run's own): checkouts become integration events on Kafka, which the
// notification service and the analytics sink each apply exactly once.

const THRESHOLD = 3;
const today = () => new Date().toISOString().slice(0, 10);

// Waits are for conditions, with deadlines of a minute; a test may wait out a few of them.
describe('integration events through Kafka (shared broker, PostgreSQL)', { timeout: 180_000 }, () => {
  const prefix = uniquePrefix();
  const brokers = sharedBrokers();
  let t: TestApp;
  let recorder: Awaited<ReturnType<typeof recordTopics>>;
  let expected: IntegrationEvent[];
  const orders: Record<string, string> = {};

  beforeAll(async () => {
    recorder = await recordTopics(brokers, prefix);
    t = await testApp('postgres', {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      STOCK_LOW_THRESHOLD: String(THRESHOLD),
      KAFKA_RELAY_LEASE_SECONDS: '2',
      // Long enough that a loaded machine never turns an approved card into a gateway timeout: the
      // outcomes below are exact.
      PAYMENT_TIMEOUT_MS: '10000',
    });
    await stockProduct(t.platform, 'FLOW-A', 10, 1000);
    await stockProduct(t.platform, 'FLOW-B', 2, 500);
    await stockProduct(t.platform, 'FLOW-C', 5, 250);
    orders.confirmed = await checkout(t.platform, 'ann', [{ sku: 'FLOW-A', quantity: 2 }]);
    orders.lowStock = await checkout(t.platform, 'ben', [
      { sku: 'FLOW-A', quantity: 1 },
      { sku: 'FLOW-C', quantity: 3 },
    ]);
    orders.declined = await checkout(
      t.platform,
      'cat',
      [{ sku: 'FLOW-A', quantity: 1 }],
      'pm_card_chargeDeclined',
    );
    orders.outOfStock = await checkout(t.platform, 'dan', [{ sku: 'FLOW-B', quantity: 5 }]);
    await allSettled(t.platform, Object.values(orders), 60_000);
    await logShowsAllCommitted(t.platform.db); // settled in the order streams: in the global log too
    expected = await expectedIntegrationEvents(t.platform.store, THRESHOLD);
  }, 180_000);
  afterAll(async () => {
    await recorder?.stop();
    await t?.close();
    await deleteTopicsAndGroups(brokers, prefix);
  });

  it('publishes every integration event the log calls for, to its topic, keyed by stream, with headers', async () => {
    expect(countBy(expected, (e) => e.type)).toEqual({
      OrderPlaced: 4,
      OrderConfirmed: 2,
      OrderCancelled: 2,
      PaymentFailed: 1,
      StockLow: 1,
    });
    await expect
      .poll(() => expected.filter((e) => !recorder.eventIds().has(e.eventId)).length, { timeout: 60_000 })
      .toBe(0);
    const conforms = publishedSchemaValidator();
    for (const record of recorder.records) {
      const value = record.value as IntegrationEvent;
      expect(conforms(value), `${value.type} conforms to its published JSON Schema`).toEqual([]);
      expect(record.key).toBe(value.streamId);
      expect(record.headers).toEqual({
        [HEADERS.eventId]: value.eventId,
        [HEADERS.eventType]: value.type,
        [HEADERS.schemaVersion]: '1',
        [HEADERS.correlationId]: value.correlationId,
      });
      expect(record.topic).toBe(
        {
          OrderPlaced: 'orders',
          OrderConfirmed: 'orders',
          OrderCancelled: 'orders',
          PaymentFailed: 'payments',
          StockLow: 'inventory',
          OrderShipped: 'orders',
          OrderDelivered: 'orders',
          ReturnRequested: 'orders',
          ReturnReceived: 'orders',
          OrderRefunded: 'orders',
        }[value.type],
      );
    }
    const byId = new Map(recorder.records.map((r) => [(r.value as IntegrationEvent).eventId, r.value]));
    for (const event of expected) expect(byId.get(event.eventId)).toEqual(event);
    const stockLow = expected.find((e) => e.type === 'StockLow')!;
    expect(stockLow.data).toMatchObject({ sku: 'FLOW-C', available: 2, onHand: 5, threshold: THRESHOLD });
  });

  it('keeps one order’s events in order: one key, one partition, ascending stream versions', async () => {
    const ofOrder = recorder.records.filter((r) => r.key === `order-${orders.lowStock}`);
    expect(ofOrder.map((r) => (r.value as IntegrationEvent).type)).toEqual(['OrderPlaced', 'OrderConfirmed']);
    expect(new Set(ofOrder.map((r) => r.partition)).size).toBe(1);
    const versions = ofOrder.map((r) => (r.value as IntegrationEvent).streamVersion);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('puts one email per confirmed order, cancelled order and failed payment into the outbox', async () => {
    const outbox = () =>
      t.platform.db.query<{ kind: string; order_id: string; customer_id: string; event_id: string }>(
        `SELECT kind, order_id, customer_id, event_id::text FROM notifications_outbox ORDER BY kind, order_id`,
      );
    await expect.poll(async () => (await outbox()).length, { timeout: 60_000 }).toBe(5);
    const rows = await outbox();
    expect(rows.map(({ kind, order_id, customer_id }) => ({ kind, order_id, customer_id }))).toEqual(
      [
        { kind: 'order_cancelled', order_id: orders.declined, customer_id: 'cat' },
        { kind: 'order_cancelled', order_id: orders.outOfStock, customer_id: 'dan' },
        { kind: 'order_confirmed', order_id: orders.confirmed, customer_id: 'ann' },
        { kind: 'order_confirmed', order_id: orders.lowStock, customer_id: 'ben' },
        { kind: 'payment_failed', order_id: orders.declined, customer_id: 'cat' },
      ].sort((a, b) => (a.kind + a.order_id < b.kind + b.order_id ? -1 : 1)),
    );
    const declineReason = await t.platform.db.query<{ reason: string }>(
      `SELECT payload->>'reason' AS reason FROM notifications_outbox WHERE kind = 'payment_failed'`,
    );
    expect(declineReason).toEqual([{ reason: 'generic_decline' }]);
  });

  it('serves sales per SKU per day and the funnel to admins over HTTP, and to no one else', async () => {
    const { app, bearer } = await analyticsApp(t.platform);
    try {
      await expect
        .poll(() => conversionFunnel(t.platform.db), { timeout: 60_000 })
        .toMatchObject({ placed: 4, confirmed: 2, cancelled: 2 });
      const sales = await app.inject({
        url: `/admin/analytics/sales?from=${today()}&to=${today()}`,
        headers: bearer('admin'),
      });
      expect(sales.statusCode).toBe(200);
      expect(sales.json().sales).toEqual([
        { day: today(), sku: 'FLOW-A', currency: 'USD', units: 3, revenue: 3000, orders: 2 },
        { day: today(), sku: 'FLOW-C', currency: 'USD', units: 3, revenue: 750, orders: 1 },
      ]);
      const funnel = await app.inject({ url: '/admin/analytics/funnel', headers: bearer('admin') });
      expect(funnel.json()).toEqual({
        from: null,
        to: null,
        placed: 4,
        confirmed: 2,
        cancelled: 2,
        conversionRate: 0.5,
      });
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const before = await app.inject({
        url: `/admin/analytics/funnel?to=${yesterday}`,
        headers: bearer('admin'),
      });
      expect(before.json()).toMatchObject({ placed: 0, confirmed: 0, cancelled: 0, conversionRate: 0 });

      expect((await app.inject({ url: '/admin/analytics/funnel' })).statusCode).toBe(401);
      expect(
        (await app.inject({ url: '/admin/analytics/funnel', headers: bearer('customer') })).statusCode,
      ).toBe(403);
      const backwards = await app.inject({
        url: `/admin/analytics/sales?from=${today()}&to=${yesterday}`,
        headers: bearer('admin'),
      });
      // A well-formed range that runs backwards breaks a rule, not the schema: 422 (was 400).
      expect(backwards.statusCode).toBe(422);
      const missing = await app.inject({ url: '/admin/analytics/sales', headers: bearer('admin') });
      expect(missing.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('changes nothing when every record is delivered again (consumers deduplicate by event id)', async () => {
    await expect
      .poll(async () => (await t.platform.db.query(`SELECT 1 FROM notifications_outbox`)).length, {
        timeout: 60_000,
      })
      .toBe(5);
    const before = {
      outbox: await t.platform.db.query(
        `SELECT event_id::text, kind FROM notifications_outbox ORDER BY event_id`,
      ),
      sales: await salesPerSkuPerDay(t.platform.db, { from: today(), to: today() }),
      funnel: await conversionFunnel(t.platform.db),
    };
    // Publish every record once more, as a relay that crashed before its checkpoint would.
    const kafka = new Kafka({ clientId: 'test-replayer', brokers: [brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const records = [...recorder.records];
    await producer.sendBatch({
      topicMessages: records.map((r) => ({
        topic: `${prefix}${r.topic}`,
        messages: [{ key: r.key, value: JSON.stringify(r.value), headers: r.headers }],
      })),
    });
    await producer.disconnect();
    // Once the consumers are past the replayed records, nothing may have changed.
    await expect
      .poll(() => recorder.records.length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2 * records.length);
    await waitForGroupsToCatchUp(brokers, prefix);
    expect(
      await t.platform.db.query(`SELECT event_id::text, kind FROM notifications_outbox ORDER BY event_id`),
    ).toEqual(before.outbox);
    expect(await salesPerSkuPerDay(t.platform.db, { from: today(), to: today() })).toEqual(before.sales);
    expect(await conversionFunnel(t.platform.db)).toEqual(before.funnel);
  });
});

/** Waits until both consumer groups have committed offsets up to the end of every partition they read. */
async function waitForGroupsToCatchUp(brokers: string, prefix: string) {
  const kafka = new Kafka({ clientId: 'test-lag', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const lag = async () => {
      let total = 0;
      for (const [group, topics] of [
        ['notifications', ['orders', 'payments']],
        ['analytics', ['orders']],
      ] as const) {
        for (const topic of topics) {
          const ends = await admin.fetchTopicOffsets(`${prefix}${topic}`);
          const [committed] = await admin.fetchOffsets({
            groupId: `${prefix}${group}`,
            topics: [`${prefix}${topic}`],
          });
          for (const end of ends) {
            const done = committed!.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
            total += Number(end.offset) - Math.max(0, Number(done));
          }
        }
      }
      return total;
    };
    await expect.poll(lag, { timeout: 60_000, interval: 200 }).toBe(0);
  } finally {
    await admin.disconnect();
  }
}
