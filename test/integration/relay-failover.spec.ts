import { afterAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { analyticsHandler, conversionFunnel } from '../../src/integration/consumers/analytics.ts';
import { IntegrationConsumer } from '../../src/integration/consumers/consumer.ts';
import { notificationsHandler } from '../../src/integration/consumers/notifications.ts';
import type { IntegrationEvent } from '../../src/integration/events.ts';
import { DEFAULT_PARTITIONS, kafkaClient, type KafkaSettings } from '../../src/integration/kafka-client.ts';
import { Lease } from '../../src/integration/lease.ts';
import { DEFAULT_RELAY_NAME, KafkaRelay, loadRelayCheckpoint } from '../../src/integration/relay.ts';
import { freshPostgres } from '../support/databases.ts';
import {
  countBy,
  deleteTopicsAndGroups,
  expectedIntegrationEvents,
  recordTopics,
  sharedBrokers,
  uniquePrefix,
} from './support/kafka.ts';
import { appendOrders } from './support/orders.ts';
import { killStrayRelays, spawnRelay } from './support/relay-processes.ts';
import { logShowsAllCommitted, until } from './support/wait.ts';

// Relays as separate OS processes on one PostgreSQL database and the shared broker. The one holding
// the lease is SIGKILLed twice: once by its own failpoint right after the broker acknowledged a batch
// and before that batch's checkpoint was written, once from outside while it works through a backlog.
// Each time a standby process takes over; no integration event is lost, some are published twice, and
// the consumers (in this process) apply every one exactly once. Nothing here waits a fixed time: the
// relays say what they did, and the lease is long enough (5 s) that a process the machine leaves
// waiting for a second or two does not lose it.

const LEASE_MS = 5_000;
/** How long a standby may take to notice that the lease expired and take it (generous: a loaded machine). */
const TAKEOVER_MS = LEASE_MS + 60_000;

afterAll(killStrayRelays);

describe('relay processes killed with SIGKILL (shared broker, PostgreSQL)', () => {
  it(
    'loses nothing when the publishing relay dies mid-batch, and a standby takes over each time',
    { timeout: 240_000 },
    async () => {
      const database = await freshPostgres(12);
      const store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
      const brokers = sharedBrokers();
      const prefix = uniquePrefix();
      const settings: KafkaSettings = {
        brokers: [brokers],
        clientId: 'failover-test',
        prefix,
        partitions: DEFAULT_PARTITIONS,
        logLevel: 'silent',
      };
      const recorder = await recordTopics(brokers, prefix);
      const consumers = [notificationsHandler, analyticsHandler].map((handler) =>
        new IntegrationConsumer(kafkaClient(settings, handler.name), database.db, settings, handler).start(),
      );
      const lease = new Lease(database.db, DEFAULT_RELAY_NAME, LEASE_MS);
      const env = {
        DATABASE_URL: database.url!,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        LEASE_MS: String(LEASE_MS),
        BATCH_SIZE: '50',
      };
      try {
        // A leads (the log is empty yet), B stands by.
        const a = spawnRelay('relay-a', { ...env, CRASH_AFTER_MESSAGES: '100' });
        await a.printed('status publishing');
        const b = spawnRelay('relay-b', env);
        await b.printed('status standby');

        // Orders flow; A dies right after the broker acknowledged the batch that took it past 100 records.
        await appendOrders(store, 200, 'FAILOVER-1', true);
        expect(await a.exited, a.output()).toEqual({ code: null, signal: 'SIGKILL' });
        const lastAck = [...a.output().matchAll(/acked batch \d+: (\d+) events, (\d+) records/g)].at(-1)!;
        const [crashBatchEvents, crashBatchRecords] = [Number(lastAck[1]), Number(lastAck[2])];
        expect(crashBatchRecords).toBeGreaterThan(0);
        const atCrash = await loadRelayCheckpoint(database.db, DEFAULT_RELAY_NAME);
        // The dead relay holds the lease until it expires; on a loaded machine B may already have taken it
        // over by now, but nobody else, and only once.
        const { holder, term } = (await lease.current())!;
        expect([
          { holder: 'relay-a', term: 1 },
          { holder: 'relay-b', term: 2 },
        ]).toContainEqual({ holder, term });
        // The batch the broker acknowledged but whose checkpoint was never written.
        const unrecorded = await store.readAll({ after: atCrash, maxCount: crashBatchEvents });

        await b.printed('status publishing', TAKEOVER_MS);
        expect(await lease.current()).toMatchObject({ holder: 'relay-b', term: 2 });

        // More orders while B leads, then a large backlog; B is killed from outside while working on it:
        // once it has published everything before the backlog, it is told to stop at the third batch
        // the broker acknowledges from then on (before writing that batch's checkpoint), and killed there.
        await appendOrders(store, 50, 'FAILOVER-2', true);
        const c = spawnRelay('relay-c', env);
        await c.printed('status standby');
        await logShowsAllCommitted(database.db);
        await until(
          'B to publish the log so far',
          async () => (await unpublished(database.db, store)) === 0,
          60_000,
        );
        const acks = () => (b.output().match(/acked batch/g) ?? []).length;
        const acksBefore = acks();
        b.send('hold after 3');
        const backlog = appendOrders(store, 400, 'FAILOVER-3', true);
        await b.printed('holding at batch');
        expect(acks(), 'B published part of the backlog').toBeGreaterThanOrEqual(acksBefore + 3);
        expect(await b.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
        await backlog;
        const atKill = await loadRelayCheckpoint(database.db, DEFAULT_RELAY_NAME);
        const left = await store.readAll({ after: atKill, maxCount: 10_000 });
        expect(left.events.length, 'B was killed with part of the backlog still to publish').toBeGreaterThan(
          0,
        );

        await c.printed('status publishing', TAKEOVER_MS);
        expect(await lease.current()).toMatchObject({ holder: 'relay-c', term: 3 });

        // Every integration event the log calls for reaches Kafka.
        await logShowsAllCommitted(database.db);
        const expected = await expectedIntegrationEvents(store, 3);
        await until(
          'every integration event on Kafka',
          () => expected.every((e) => recorder.eventIds().has(e.eventId)),
          60_000,
        );
        const published = countBy(recorder.records, (r) => (r.value as IntegrationEvent).eventId);
        expect(Object.keys(published).length).toBe(expected.length);
        // A's acknowledged batch came again from B: at-least-once, visibly.
        const unrecordedIds = new Set(unrecorded.events.map((e) => e.eventId));
        const replayedIds = expected.filter((e) => unrecordedIds.has(e.eventId)).map((e) => e.eventId);
        expect(replayedIds.length).toBe(crashBatchRecords);
        for (const id of replayedIds)
          expect(published[id], `event ${id} of the unrecorded batch`).toBeGreaterThanOrEqual(2);

        // The consumers applied each event once, duplicates notwithstanding.
        const wanted = countBy(expected, (e) => e.type);
        await until(
          'the notification service to catch up',
          async () =>
            Number(
              (
                await database.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM notifications_outbox`)
              )[0]!.n,
            ) ===
            wanted.OrderConfirmed! + wanted.OrderCancelled! + wanted.PaymentFailed!,
          60_000,
        );
        const outbox = await database.db.query<{ kind: string; n: string }>(
          `SELECT kind, count(*)::text AS n FROM notifications_outbox GROUP BY kind ORDER BY kind`,
        );
        expect(outbox).toEqual([
          { kind: 'order_cancelled', n: String(wanted.OrderCancelled) },
          { kind: 'order_confirmed', n: String(wanted.OrderConfirmed) },
          { kind: 'payment_failed', n: String(wanted.PaymentFailed) },
        ]);
        expect(wanted).toEqual({
          OrderPlaced: 650,
          OrderConfirmed: 488,
          OrderCancelled: 162,
          PaymentFailed: 162,
          StockLow: 3,
        });
        await until(
          'the analytics sink to catch up',
          async () => (await conversionFunnel(database.db)).placed === 650,
          60_000,
        );
        expect(await conversionFunnel(database.db)).toMatchObject({
          placed: 650,
          confirmed: 488,
          cancelled: 162,
        });

        await c.kill('SIGTERM');
      } finally {
        await Promise.all(consumers.map((consumer) => consumer.stop()));
        await recorder.stop();
        await killStrayRelays();
        await database.drop();
        await deleteTopicsAndGroups(brokers, prefix);
      }
    },
  );

  it(
    'stops publishing the moment its lease is taken from it, and resumes when it gets it back',
    { timeout: 120_000 },
    async () => {
      const database = await freshPostgres(8);
      const store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
      const brokers = sharedBrokers();
      const prefix = uniquePrefix();
      const settings: KafkaSettings = {
        brokers: [brokers],
        clientId: 'lease-test',
        prefix,
        partitions: DEFAULT_PARTITIONS,
        logLevel: 'silent',
      };
      const recorder = await recordTopics(brokers, prefix);
      // The relay's database, counting its attempts to take the lease (one per standby poll).
      let attempts = 0;
      const relayDb: SqlClient = {
        ...database.db,
        query: (sql, params) => {
          if (sql.trimStart().startsWith('INSERT INTO integration_leases')) attempts++;
          return database.db.query(sql, params);
        },
      };
      const relay = new KafkaRelay(store, relayDb, kafkaClient(settings, 'relay'), settings, {
        holder: 'relay-in-process',
        leaseMs: 900,
        stockLowThreshold: 3,
      }).start();
      const lease = new Lease(database.db, DEFAULT_RELAY_NAME, 900);
      try {
        await appendOrders(store, 10, 'LEASE-1', true);
        await logShowsAllCommitted(database.db);
        const first = await expectedIntegrationEvents(store, 3);
        await until(
          'the first orders on Kafka',
          () => first.every((e) => recorder.eventIds().has(e.eventId)),
          60_000,
        );
        expect(recorder.records.length).toBeGreaterThanOrEqual(10 + 8 + 2 * 2);
        expect(relay.status).toBe('publishing');

        // Another holder takes the lease (as a standby would from a relay that stalled past its expiry).
        await database.db.query(
          `UPDATE integration_leases SET holder = 'thief', term = term + 1, expires_at = now() + interval '1 hour'`,
        );
        await until('the relay to notice', () => relay.status === 'standby', 30_000);
        const before = await loadRelayCheckpoint(database.db, DEFAULT_RELAY_NAME);
        const seen = recorder.records.length;
        await appendOrders(store, 10, 'LEASE-2', true);
        // Standing by, it keeps trying to take the lease back: three tries since the orders went in.
        const triesBefore = attempts;
        await until(
          'the relay to try for the lease three more times',
          () => attempts >= triesBefore + 3,
          30_000,
        );
        expect(relay.status).toBe('standby');
        expect(recorder.records.length, 'nothing published without the lease').toBe(seen);
        expect(await loadRelayCheckpoint(database.db, DEFAULT_RELAY_NAME)).toEqual(before);

        await database.db.query(`UPDATE integration_leases SET expires_at = now() - interval '1 second'`);
        await until('the relay to take the lease back', () => relay.status === 'publishing', 30_000);
        await logShowsAllCommitted(database.db);
        const expected = await expectedIntegrationEvents(store, 3);
        await until(
          'every integration event on Kafka',
          () => expected.every((e) => recorder.eventIds().has(e.eventId)),
          60_000,
        );
        expect(await lease.current()).toMatchObject({ holder: 'relay-in-process', term: 3 });
      } finally {
        await relay.stop();
        await recorder.stop();
        await database.drop();
        await deleteTopicsAndGroups(brokers, prefix);
      }
    },
  );
});

/** How many events of the log the relay has not published yet (its checkpoint to the log's end). */
async function unpublished(db: SqlClient, store: SqlEventStore) {
  const checkpoint = await loadRelayCheckpoint(db, DEFAULT_RELAY_NAME);
  return (await store.readAll({ after: checkpoint, maxCount: 10_000 })).events.length;
}
