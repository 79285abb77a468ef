import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import {
  analyticsHandler,
  conversionFunnel,
  salesPerSkuPerDay,
} from '../../src/integration/consumers/analytics.ts';
import type { IntegrationHandler } from '../../src/integration/consumers/consumer.ts';
import { notificationsHandler } from '../../src/integration/consumers/notifications.ts';
import { topicOf, type IntegrationEvent, type OrderConfirmedV1 } from '../../src/integration/events.ts';
import { DEFAULT_RELAY_NAME, loadRelayCheckpoint } from '../../src/integration/relay.ts';
import { compareCheckpoints } from '../../src/subscriptions/index.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { checkout, stockProduct } from '../support/shop.ts';
import {
  countBy,
  dedicatedBroker,
  expectedIntegrationEvents,
  recordTopics,
  uniquePrefix,
} from './support/kafka.ts';
import { allSettled, logShowsAllCommitted, until } from './support/wait.ts';

// The whole platform on PostgreSQL with a Kafka broker of this file's own (ports 19092/19093, so the
// shared broker and the suites using it are not disturbed). Orders keep coming while the broker is
// killed and, a few seconds later, started again: the relay's checkpoint does not pass what the dead
// broker would have to acknowledge, every integration event arrives once the broker is back, and the
// consumers' effects happen exactly once.

const broker = dedicatedBroker(19092);
const THRESHOLD = 3;
const CARDS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_amex'];

beforeAll(() => broker.up(), 90_000);
afterAll(() => broker.remove(), 60_000);

describe('the broker dies while orders flow (dedicated broker, PostgreSQL)', () => {
  let t: TestApp;
  let recorder: Awaited<ReturnType<typeof recordTopics>>;
  afterAll(async () => {
    await recorder?.stop();
    await t?.close();
  });

  it(
    'publishes every integration event after the broker is back; consumers apply each once',
    { timeout: 300_000 },
    async () => {
      const prefix = uniquePrefix();
      recorder = await recordTopics(broker.brokers, prefix);
      t = await testApp('postgres', {
        KAFKA_BROKERS: broker.brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        STOCK_LOW_THRESHOLD: String(THRESHOLD),
        KAFKA_RELAY_LEASE_SECONDS: '2',
        PAYMENT_TIMEOUT_MS: '500',
      });
      await stockProduct(t.platform, 'OUTAGE-A', 200, 1500);
      await stockProduct(t.platform, 'OUTAGE-B', 12, 800);
      await stockProduct(t.platform, 'OUTAGE-C', 3, 300);

      const orderIds: string[] = [];
      const placeOrders = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const n = orderIds.length;
          const lines = [
            { sku: 'OUTAGE-A', quantity: 1 + (n % 3) },
            ...(n % 2 === 0 ? [{ sku: 'OUTAGE-B', quantity: 1 }] : []),
            ...(n % 5 === 0 ? [{ sku: 'OUTAGE-C', quantity: 1 }] : []),
          ];
          orderIds.push(await checkout(t.platform, `shopper-${n % 9}`, lines, CARDS[n % CARDS.length]));
          await sleep(20); // paced as shoppers come, not all at once; nothing below counts on it
        }
      };

      await placeOrders(15);
      await until('the first integration events on Kafka', () => recorder.records.length >= 10, 60_000);

      // The broker dies; orders keep coming. The first order placed after that is an OrderPlaced record
      // nobody can acknowledge: the relay's checkpoint stays before it, however long one waits. (Up to it
      // the checkpoint may still move: a batch the broker acknowledged just before it died, events that
      // call for no record.)
      await broker.down('SIGKILL');
      await placeOrders(10);
      const [firstAfterDeath] = await t.platform.store.readStream(streams.order(orderIds[15]!), {
        maxCount: 1,
      });
      const notPast = async () =>
        compareCheckpoints(
          await loadRelayCheckpoint(t.platform.db, DEFAULT_RELAY_NAME),
          firstAfterDeath!.checkpoint,
        );
      expect(await notPast(), 'no acknowledgement, no progress').toBeLessThan(0);
      await placeOrders(10);
      expect(await notPast(), 'no acknowledgement, no progress').toBeLessThan(0);
      const during = await loadRelayCheckpoint(t.platform.db, DEFAULT_RELAY_NAME);
      const unpublished = await t.platform.store.readAll({ after: during, maxCount: 10_000 });
      expect(unpublished.events.length, 'events wait in the log beyond the checkpoint').toBeGreaterThan(0);

      // The broker comes back; orders keep coming.
      await broker.up();
      await placeOrders(15);
      await allSettled(t.platform, orderIds, 90_000);

      await logShowsAllCommitted(t.platform.db); // settled in the order streams: in the global log too
      const expected = await expectedIntegrationEvents(t.platform.store, THRESHOLD);
      const wanted = countBy(expected, (e) => e.type);
      expect(wanted.OrderPlaced).toBe(50);
      expect(wanted.StockLow).toBeGreaterThanOrEqual(1);
      expect(wanted.PaymentFailed).toBeGreaterThanOrEqual(10);
      await until(
        'every integration event on Kafka',
        () => expected.every((e) => recorder.eventIds().has(e.eventId)),
        90_000,
      );
      const unexpected = recorder.records.filter(
        (r) => !expected.some((e) => e.eventId === (r.value as IntegrationEvent).eventId),
      );
      expect(unexpected).toEqual([]);

      /** Whether `handler` has applied (or found applied before) every expected event of its topics. */
      const appliedAll = async (handler: IntegrationHandler) => {
        const ids = expected.filter((e) => handler.topics.includes(topicOf(e.type))).map((e) => e.eventId);
        const [row] = await t.platform.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM integration_processed_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
          [handler.name, ids],
        );
        return row!.n === ids.length;
      };

      // Exactly once in the notification outbox: counted once the service has seen every event it reads
      // (each event's effect is committed with its id, so nothing can be added later but duplicates).
      const emails =
        (wanted.OrderConfirmed ?? 0) + (wanted.OrderCancelled ?? 0) + (wanted.PaymentFailed ?? 0);
      const outboxSize = async () =>
        Number(
          (
            await t.platform.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM notifications_outbox`)
          )[0]!.n,
        );
      await until('the notification service to catch up', () => appliedAll(notificationsHandler), 90_000);
      expect(await outboxSize()).toBe(emails);
      const byKind = await t.platform.db.query<{ kind: string; n: string }>(
        `SELECT kind, count(*)::text AS n FROM notifications_outbox GROUP BY kind ORDER BY kind`,
      );
      expect(byKind).toEqual(
        [
          { kind: 'order_cancelled', n: String(wanted.OrderCancelled ?? 0) },
          { kind: 'order_confirmed', n: String(wanted.OrderConfirmed ?? 0) },
          { kind: 'payment_failed', n: String(wanted.PaymentFailed ?? 0) },
        ].filter((row) => row.n !== '0'),
      );

      // Exactly once in analytics: the funnel and the sales per SKU match the events, not the deliveries.
      await until('the analytics sink to catch up', () => appliedAll(analyticsHandler), 90_000);
      expect(await conversionFunnel(t.platform.db)).toMatchObject({
        placed: wanted.OrderPlaced,
        confirmed: wanted.OrderConfirmed,
        cancelled: wanted.OrderCancelled,
      });
      const sold = new Map<string, { units: number; revenue: number }>();
      for (const e of expected.filter((e): e is OrderConfirmedV1 => e.type === 'OrderConfirmed'))
        for (const line of e.data.lines) {
          const total = sold.get(line.sku) ?? { units: 0, revenue: 0 };
          sold.set(line.sku, {
            units: total.units + line.quantity,
            revenue: total.revenue + line.lineTotal.amount,
          });
        }
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const rows = await salesPerSkuPerDay(t.platform.db, { from: day(-1), to: day(1) });
      const recorded = new Map<string, { units: number; revenue: number }>();
      for (const row of rows) {
        const total = recorded.get(row.sku) ?? { units: 0, revenue: 0 };
        recorded.set(row.sku, { units: total.units + row.units, revenue: total.revenue + row.revenue });
      }
      expect(recorded).toEqual(sold);
    },
  );
});
