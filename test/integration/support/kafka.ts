import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import * as kafkaService from '../../../scripts/services/kafka.mjs';
import { LOG_START, type EventStore } from '../../../src/eventstore/event-store.ts';
import { TOPICS, type IntegrationEvent, type Topic } from '../../../src/integration/events.ts';
import { toIntegrationEvent, type MappingState } from '../../../src/integration/mapping.ts';
import { serviceUrl } from '../../support/services.ts';

/** The shared broker `scripts/services.mjs up` started (or KAFKA_BROKERS): a missing one fails the suite. */
export const sharedBrokers = () => serviceUrl('KAFKA_BROKERS');

/** Topic and group names of one test of its own on a shared broker. */
export const uniquePrefix = () => `test-${randomBytes(4).toString('hex')}.`;

/**
 * A broker of this test file's own on other ports (controller on port + 1): it may be stopped and
 * started without disturbing the suites that share the broker on 9092.
 */
export function dedicatedBroker(port: number) {
  return {
    brokers: `127.0.0.1:${port}`,
    up: () => kafkaService.up({ port, timeoutMs: 60_000 }),
    down: (signal: NodeJS.Signals = 'SIGTERM') => kafkaService.down({ port, signal }),
    async remove() {
      await kafkaService.down({ port, signal: 'SIGKILL' });
      kafkaService.remove({ port });
    },
  };
}

export type Received = Readonly<{
  topic: Topic;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  value: unknown;
}>;

const textHeaders = (headers: IHeaders | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));

/**
 * Reads every record of the prefixed topics from the beginning, in a group of its own: what an
 * outside consumer of the contract would see, duplicates included.
 */
export async function recordTopics(brokers: string, prefix: string) {
  const kafka = new Kafka({
    clientId: 'test-recorder',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 30 },
  });
  const consumer = kafka.consumer({ groupId: `${prefix}recorder`, maxWaitTimeInMs: 100 });
  const records: Received[] = [];
  await consumer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.map((t) => `${prefix}${t}`)
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: 3 })),
  });
  await admin.disconnect();
  await consumer.subscribe({ topics: TOPICS.map((t) => `${prefix}${t}`), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.push({
        topic: topic.slice(prefix.length) as Topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? '',
        headers: textHeaders(message.headers),
        value: JSON.parse(message.value?.toString() ?? 'null'),
      });
    },
  });
  return {
    records,
    eventIds: () => new Set(records.map((r) => (r.value as IntegrationEvent).eventId)),
    stop: () => consumer.disconnect(),
  };
}

/** Deletes a test's topics and consumer groups from the shared broker (after everything using them stopped). */
export async function deleteTopicsAndGroups(brokers: string, prefix: string) {
  const admin = new Kafka({
    clientId: 'test-cleanup',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** What the relay must publish for the whole log: the mapping applied to every event from the start. */
export async function expectedIntegrationEvents(store: EventStore, stockLowThreshold: number) {
  const state: MappingState = { orders: new Map(), levels: new Map(), stockLowThreshold };
  const expected: IntegrationEvent[] = [];
  let after = LOG_START;
  for (;;) {
    const batch = await store.readAll({ after, maxCount: 1000 });
    if (batch.events.length === 0) return expected;
    for (const event of batch.events) {
      const integrationEvent = toIntegrationEvent(event, state);
      if (integrationEvent) expected.push(integrationEvent);
    }
    after = batch.next;
  }
}

export const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};
