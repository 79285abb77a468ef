import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { SqlClient, SqlTransaction } from '../../db/sql-client.ts';
import type { IntegrationEvent, Topic } from '../events.ts';
import { ensureTopics, fromKafkaMessage, topicName, type KafkaSettings } from '../kafka-client.ts';

/**
 * A consumer of integration events whose effects live in SQL. Effectively-once: Kafka delivers at
 * least once, and each event's id goes into `integration_processed_events` in the same transaction as
 * its effect, so a redelivered event (a relay that published twice, a rebalance, a crash before the
 * offset commit) finds its id there and changes nothing.
 */
export type IntegrationHandler = Readonly<{
  /** Names the consumer group (after the topic prefix) and this consumer's processed events. */
  name: string;
  topics: readonly Topic[];
  /** Applies events this consumer has never applied, in the transaction that records them. */
  apply(tx: SqlTransaction, events: readonly IntegrationEvent[]): Promise<void>;
}>;

/** Applies the events of `events` that `handler` has not applied before; returns those it applied. */
export async function applyOnce(
  db: SqlClient,
  handler: IntegrationHandler,
  events: readonly IntegrationEvent[],
): Promise<IntegrationEvent[]> {
  const unique = [...new Map(events.map((e) => [e.eventId, e] as const)).values()];
  if (unique.length === 0) return [];
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ event_id: string }>(
      `INSERT INTO integration_processed_events (consumer, event_id)
       SELECT $1, id FROM unnest($2::uuid[]) AS ids(id)
       ON CONFLICT DO NOTHING RETURNING event_id::text AS event_id`,
      [handler.name, unique.map((e) => e.eventId)],
    );
    const fresh = new Set(rows.map((r) => r.event_id));
    const toApply = unique.filter((e) => fresh.has(e.eventId));
    if (toApply.length > 0) await handler.apply(tx, toApply);
    return toApply;
  });
}

export type ConsumerOptions = Readonly<{
  onError?: (error: unknown) => void;
  /** Called after a batch was applied (with the events new to this consumer): lag metrics, tests. */
  onApplied?: (applied: readonly IntegrationEvent[], received: number) => void;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `handler` in its consumer group, and keeps it running: kafkajs restarts a consumer after most
 * failures by itself; after one it gives up on (its `restart: false` crash), this builds a new one.
 */
export class IntegrationConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeStop: (() => void) | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly db: SqlClient,
    private readonly settings: KafkaSettings,
    readonly handler: IntegrationHandler,
    private readonly options: ConsumerOptions = {},
  ) {}

  get groupId(): string {
    return `${this.settings.prefix}${this.handler.name}`;
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeStop?.();
    await this.loop;
  }

  private async run() {
    let backoff = 200;
    while (!this.stopping) {
      const stopped = new Promise<void>((resolve) => (this.wakeStop = resolve));
      const consumer = this.kafka.consumer({
        groupId: this.groupId,
        // Short fetch waits: low latency, and a stop does not wait out a long poll.
        maxWaitTimeInMs: 200,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 4 },
      });
      const crashed = new Promise<void>((resolve) =>
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (payload.restart) return;
          this.options.onError?.(payload.error);
          resolve();
        }),
      );
      try {
        await ensureTopics(this.kafka, this.settings);
        await consumer.connect();
        await consumer.subscribe({
          topics: this.handler.topics.map((t) => topicName(this.settings, t)),
          fromBeginning: true,
        });
        await consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
        backoff = 200;
        await Promise.race([crashed, stopped]);
      } catch (error) {
        if (!this.stopping) this.options.onError?.(error);
      }
      await consumer.disconnect().catch(() => undefined);
      if (!this.stopping) {
        await Promise.race([sleep(backoff), stopped]);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const events: IntegrationEvent[] = [];
    for (const message of batch.messages) {
      try {
        events.push(fromKafkaMessage(message));
      } catch (error) {
        // A record that breaks the contract cannot be applied however often it is retried: report it
        // and move on, rather than stop every event behind it.
        this.options.onError?.(
          new Error(`${batch.topic}[${batch.partition}]@${message.offset}: ${(error as Error).message}`),
        );
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const applied = await applyOnce(this.db, this.handler, events);
        this.options.onApplied?.(applied, events.length);
        break;
      } catch (error) {
        this.options.onError?.(error);
        // Not resolved: the batch is delivered again, to this member or to the next owner of the partition.
        if (!isRunning() || isStale() || this.stopping) return;
        await sleep(Math.min(100 * 2 ** attempt, 2_000));
        await heartbeat();
      }
    }
    const last = batch.messages.at(-1);
    if (last) resolveOffset(last.offset);
    await heartbeat();
  }
}
