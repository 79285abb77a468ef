// One Kafka relay as an OS process of its own, for the failover tests to kill: the real KafkaRelay on
// PostgreSQL, nothing else. Prints "status <standby|publishing>" when that changes and "acked batch
// <n>: ..." after each batch the broker acknowledged. CRASH_AFTER_MESSAGES=n makes it SIGKILL itself
// right after the broker acknowledged the batch that brought its records to n or more, before that
// batch's checkpoint is written: mid-batch. A line "hold after <n>" on its standard input makes it stop
// at the n-th batch acknowledged from then on, before that batch's checkpoint, and print "holding at
// batch <k>": it keeps its lease (renewed on a timer) but publishes nothing more, so that it can be
// killed from outside in the middle of a backlog however fast or slow the machine is.
import { createInterface } from 'node:readline';
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
let batches = 0;
let records = 0;
/** The batch to hold at, once the test asked for it. */
let holdAt: number | undefined;
createInterface({ input: process.stdin }).on('line', (line) => {
  const hold = /^hold after (\d+)$/.exec(line.trim());
  if (hold) holdAt = batches + Number(hold[1]);
});
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
    if (holdAt !== undefined && batches >= holdAt) {
      console.log(`holding at batch ${batches}`);
      await new Promise<never>(() => undefined); // until killed
    }
  },
}).start();

let last = '';
const watch = setInterval(() => {
  if (relay.status === last) return;
  last = relay.status;
  console.log(`status ${last}`);
}, 20);

process.once('SIGTERM', () => {
  clearInterval(watch);
  void relay
    .stop()
    .then(() => db.close())
    .then(() => process.exit(0));
});
