import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { analyticsHandler } from './consumers/analytics.ts';
import { IntegrationConsumer, type ConsumerOptions } from './consumers/consumer.ts';
import { notificationsHandler } from './consumers/notifications.ts';
import { kafkaClient, kafkaSettings } from './kafka-client.ts';
import { KafkaRelay, type RelayOptions } from './relay.ts';

/** The Kafka integration of one process: the relay (publishing, or standing by) and this project's consumers. */
export type Integration = Readonly<{
  relay: KafkaRelay;
  consumers: readonly IntegrationConsumer[];
  stop(): Promise<void>;
}>;

export type IntegrationOptions = Readonly<{
  relay?: Partial<RelayOptions>;
  consumers?: ConsumerOptions;
}>;

/**
 * Starts the relay and the consumers when KAFKA_BROKERS is set; without it there is no Kafka at all
 * and this returns undefined. It does not wait for the broker: both keep trying in the background,
 * so the platform starts (and takes orders) while Kafka is down.
 */
export async function startIntegration(
  deps: Readonly<{ config: Config; db: SqlClient; store: EventStore }>,
  options: IntegrationOptions = {},
): Promise<Integration | undefined> {
  const { config, db, store } = deps;
  if (!config.KAFKA_BROKERS) return undefined;
  const settings = kafkaSettings(config);
  const report = (what: string) => (error: unknown) => {
    if (config.LOG_LEVEL !== 'silent') console.error(`kafka ${what}: ${(error as Error).message}`);
  };
  const relay = new KafkaRelay(store, db, kafkaClient(settings, 'relay'), settings, {
    holder: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseMs: config.KAFKA_RELAY_LEASE_SECONDS * 1000,
    stockLowThreshold: config.STOCK_LOW_THRESHOLD,
    onError: report('relay'),
    ...options.relay,
  }).start();
  const consumers = [notificationsHandler, analyticsHandler].map((handler) =>
    new IntegrationConsumer(kafkaClient(settings, handler.name), db, settings, handler, {
      onError: report(`consumer ${handler.name}`),
      ...options.consumers,
    }).start(),
  );
  return {
    relay,
    consumers,
    async stop() {
      await Promise.all([relay.stop(), ...consumers.map((c) => c.stop())]);
    },
  };
}
