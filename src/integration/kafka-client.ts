import { Kafka, logLevel, type IHeaders, type KafkaMessage, type Message } from 'kafkajs';
import type { Config } from '../config.ts';
import { TOPICS, parseIntegrationEvent, type IntegrationEvent, type Topic } from './events.ts';

/** Where this deployment's topics and consumer groups live: the prefix keeps environments (and test runs) apart. */
export type KafkaSettings = Readonly<{
  brokers: readonly string[];
  clientId: string;
  /** Prepended to every topic and consumer group name ('' in production). */
  prefix: string;
  partitions: number;
  logLevel: Config['LOG_LEVEL'];
}>;

/** Partitions of a topic this relay creates: keys (streams) spread over them, each keeps its order. */
export const DEFAULT_PARTITIONS = 3;

export const kafkaSettings = (config: Config): KafkaSettings => ({
  brokers: (config.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean),
  clientId: config.KAFKA_CLIENT_ID,
  prefix: config.KAFKA_TOPIC_PREFIX ?? '',
  partitions: DEFAULT_PARTITIONS,
  logLevel: config.LOG_LEVEL,
});

export const topicName = (settings: Pick<KafkaSettings, 'prefix'>, topic: Topic) =>
  `${settings.prefix}${topic}`;

const kafkaLogLevel = (level: Config['LOG_LEVEL']) => {
  switch (level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'debug':
    case 'trace':
      return logLevel.DEBUG;
    default:
      // kafkajs reports every group join and reconnect at INFO: too chatty for a service's log.
      return logLevel.WARN;
  }
};

/**
 * A kafkajs client with short, bounded retries: the relay and the consumers have their own recovery
 * (re-read from the checkpoint, rebuild the consumer), so a dead broker should surface quickly
 * instead of leaving a send waiting for minutes.
 */
export function kafkaClient(settings: KafkaSettings, role: string): Kafka {
  return new Kafka({
    clientId: `${settings.clientId}-${role}`,
    brokers: [...settings.brokers],
    logLevel: kafkaLogLevel(settings.logLevel),
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
        const name = level === logLevel.ERROR ? 'ERROR' : level === logLevel.WARN ? 'WARN' : 'INFO';
        console.error(`kafkajs ${name} [${role}/${namespace}] ${message} ${JSON.stringify(extra)}`);
      },
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
  });
}

/** Creates the topics that are missing (idempotent: existing ones are left as they are). */
export async function ensureTopics(kafka: Kafka, settings: KafkaSettings): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = TOPICS.map((t) => topicName(settings, t)).filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    // Three copies where the cluster has three brokers or more, as many as it has otherwise.
    // (kafkajs speaks CreateTopics v3, too old for "the broker's default replication factor".)
    const { brokers } = await admin.describeCluster();
    const replicationFactor = Math.min(3, brokers.length);
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: settings.partitions, replicationFactor })),
    });
  } finally {
    await admin.disconnect();
  }
}

export const HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
} as const;

/** One integration event as a Kafka record: keyed by its stream, described by headers, JSON value. */
export const toKafkaMessage = (event: IntegrationEvent): Message => ({
  key: event.streamId,
  value: JSON.stringify(event),
  headers: {
    [HEADERS.eventId]: event.eventId,
    [HEADERS.eventType]: event.type,
    [HEADERS.schemaVersion]: String(event.schemaVersion),
    [HEADERS.correlationId]: event.correlationId,
  },
});

export const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/** Decodes and checks a received record against the published schema (throws when it does not conform). */
export function fromKafkaMessage(message: KafkaMessage): IntegrationEvent {
  const event = parseIntegrationEvent(JSON.parse(message.value?.toString() ?? 'null'));
  const headerId = headerText(message.headers, HEADERS.eventId);
  if (headerId !== undefined && headerId !== event.eventId)
    throw new Error(`header event-id ${headerId} differs from the value's eventId ${event.eventId}`);
  return event;
}
