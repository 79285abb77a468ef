// One Kafka relay as an OS process of its own, for the failover tests to kill: the real KafkaRelay on
// PostgreSQL, nothing else. Prints "status <standby|publishing>" when that changes and "acked <n>"
// after each batch the broker acknowledged. CRASH_AFTER_MESSAGES=n makes it SIGKILL itself right after
// the broker acknowledged the batch that brought its records to n or more, before that batch's
// checkpoint is written: mid-batch. ACK_DELAY_MS=n makes it wait n ms after each acknowledged batch, so
// that a backlog takes it a known minimum time to publish and can be caught half done.
import { setTimeout as sleep } from 'node:timers/promises';
import { connectPostgres } from '../../../src/db/postgres.ts';
import { DOMAIN_EVENT_TYPES } from '../../../src/domain/event-types.ts';
import { SqlEventStore } from '../../../src/eventstore/sql-event-store.ts';
import {
  DEFAULT_PARTITIONS,
  kafkaClient,
  type KafkaSettings,
} from '../../../src/integration/kafka-client.ts';
import { KafkaRelay } from '../../../src/integration/relay.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const db = connectPostgres({ connectionString: env('DATABASE_URL'), maxConnections: 4 });
const store = new SqlEventStore(db, { eventTypes: DOMAIN_EVENT_TYPES });
const settings: KafkaSettings = {
  brokers: [env('KAFKA_BROKERS')],
  clientId: 'relay-process',
  prefix: env('KAFKA_TOPIC_PREFIX'),
  partitions: DEFAULT_PARTITIONS,
  logLevel: 'silent',
};
const crashAfter = Number(process.env.CRASH_AFTER_MESSAGES ?? 0);
const ackDelayMs = Number(process.env.ACK_DELAY_MS ?? 0);
let batches = 0;
let records = 0;
const relay = new KafkaRelay(store, db, kafkaClient(settings, 'relay'), settings, {
  holder: env('RELAY_HOLDER'),
  leaseMs: Number(env('LEASE_MS')),
  stockLowThreshold: 3,
  batchSize: Number(process.env.BATCH_SIZE ?? 100),
  onError: (error) => console.error(`relay error: ${(error as Error).message}`),
  onPublished: async ({ events, messages }) => {
    batches++;
    records += messages;
    console.log(`acked batch ${batches}: ${events} events, ${messages} records`);
    if (crashAfter > 0 && records >= crashAfter) process.kill(process.pid, 'SIGKILL');
    if (ackDelayMs > 0) await sleep(ackDelayMs);
  },
}).start();

let last = '';
const watch = setInterval(() => {
  if (relay.status === last) return;
  last = relay.status;
  console.log(`status ${last}`);
}, 20);

process.once('SIGTERM', async () => {
  clearInterval(watch);
  await relay.stop();
  await db.close();
  process.exit(0);
});
