import type { Kafka, Message, TopicMessages } from 'kafkajs';
import type { SqlClient, SqlTransaction } from '../db/sql-client.ts';
import { inventoryStream } from '../domain/inventory/index.ts';
import { orderStream } from '../domain/order/index.ts';
import { LOG_START, type Checkpoint, type EventStore, type ReadAllBatch } from '../eventstore/event-store.ts';
import { topicOf } from './events.ts';
import { ensureTopics, toKafkaMessage, topicName, type KafkaSettings } from './kafka-client.ts';
import { Lease, LeaseLostError, type LeaseTerm } from './lease.ts';
import {
  orderFactsFrom,
  ordersToLoad,
  skusTouched,
  toIntegrationEvent,
  type MappingState,
  type OrderFacts,
} from './mapping.ts';
import { NO_STOCK, loadStockLevels, saveStockLevels, type StockLevel } from './stock-levels.ts';
import { ThreadedProducer, type BatchProducer } from './threaded-producer.ts';

/**
 * Follows the global log and publishes integration events to Kafka. At-least-once: a batch's
 * checkpoint (with the stock levels folded up to it) is written only after the broker acknowledged
 * every record of the batch (acks=all, idempotent producer); any failure throws away the producer and
 * what was mapped in memory, and publishing starts again from the stored checkpoint. Consumers drop
 * the duplicates this makes by event id.
 *
 * Many relays may run (one per worker process): a lease picks the one that publishes; the others
 * stand by and take over when its lease runs out.
 */
export type RelayOptions = Readonly<{
  /** Names the lease, the checkpoint and the stock levels: one relay of this name publishes at a time. */
  name?: string;
  /** This process, as the lease records it. */
  holder: string;
  leaseMs: number;
  stockLowThreshold: number;
  /** Events read from the log per batch. */
  batchSize?: number;
  /** Longest pause between polls of the log when nothing new arrives (ms). */
  maxPollIntervalMs?: number;
  onError?: (error: unknown) => void;
  /** Called once the broker has acknowledged a batch, before its checkpoint is written (metrics, failpoints). */
  onPublished?: (
    published: Readonly<{ events: number; messages: number; next: Checkpoint }>,
  ) => void | Promise<void>;
}>;

export type RelayStatus = 'standby' | 'publishing' | 'stopped';

export const DEFAULT_RELAY_NAME = 'kafka-relay';

type PreparedBatch = Readonly<{
  events: number;
  next: Checkpoint;
  messages: ReadonlyMap<string, Message[]>;
  count: number;
  levels: ReadonlyMap<string, StockLevel>;
}>;
// A record batch per partition must stay under the broker's message.max.bytes (1 MiB by default).
const MAX_REQUEST_BYTES = 900_000;
const SEND_TIMEOUT_MS = 30_000;
const ORDER_FACTS_CACHE = 50_000;

export class KafkaRelay {
  private readonly name: string;
  private readonly lease: Lease;
  private readonly orderFacts = new Map<string, OrderFacts>();
  private stopping = false;
  private leaseLost = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private producer: BatchProducer | undefined;
  private topicsReady = false;
  private current: LeaseTerm | undefined;
  private publishedCount = 0;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlClient,
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly options: RelayOptions,
  ) {
    this.name = options.name ?? DEFAULT_RELAY_NAME;
    this.lease = new Lease(db, this.name, options.leaseMs);
  }

  get status(): RelayStatus {
    return this.stopping ? 'stopped' : this.current ? 'publishing' : 'standby';
  }

  /** Integration events this process published (and saw acknowledged) since it started. */
  get published(): number {
    return this.publishedCount;
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run() {
    const standbyPollMs = Math.min(1_000, this.options.leaseMs / 4);
    while (!this.stopping) {
      const term = await this.lease.tryAcquire(this.options.holder).catch((error: unknown) => {
        this.options.onError?.(error);
        return undefined;
      });
      if (term) await this.lead(term);
      if (!this.stopping) await this.pause(standbyPollMs);
    }
  }

  /** Publishes for as long as this process holds `term`, recovering from any failure by re-reading. */
  private async lead(term: LeaseTerm) {
    this.current = term;
    this.leaseLost = false;
    const renewal = setInterval(() => {
      this.lease.renew(term).then(
        (held) => {
          if (!held && this.current === term) this.loseLease();
        },
        (error: unknown) => this.options.onError?.(error),
      );
    }, this.options.leaseMs / 3);
    let backoff = 100;
    try {
      while (!this.stopping && !this.leaseLost) {
        const publishedBefore = this.publishedCount;
        try {
          await this.publish(term);
        } catch (error) {
          if (this.publishedCount > publishedBefore) backoff = 100; // it worked for a while: a new failure
          if (error instanceof LeaseLostError) {
            this.leaseLost = true;
            break;
          }
          if (!this.stopping) this.options.onError?.(error);
          await this.dropProducer();
          await this.pause(backoff);
          backoff = Math.min(backoff * 2, 2_000);
        }
      }
    } finally {
      clearInterval(renewal);
      await this.dropProducer();
      if (this.stopping && !this.leaseLost) await this.lease.release(term).catch(() => undefined);
      this.current = undefined;
      this.leaseLost = false; // back to standby: pause() must wait again
    }
  }

  private loseLease() {
    this.leaseLost = true;
    this.wake?.();
  }

  /**
   * One run from the stored checkpoint until stopped, the lease is lost, or something fails (throws).
   * Three stages overlap: reading batch N+2 from the log, mapping batch N+1 (main thread), and
   * sending batch N (producer thread) then writing its checkpoint. Batches are still sent and
   * checkpointed strictly in log order: N+1 is sent only after N was acknowledged and recorded.
   */
  private async publish(term: LeaseTerm) {
    const checkpoint = await loadRelayCheckpoint(this.db, this.name);
    const state: MappingState = {
      orders: this.orderFacts,
      levels: new Map<string, StockLevel>(),
      stockLowThreshold: this.options.stockLowThreshold,
    };
    const producer = await this.connectProducer();
    const batchSize = this.options.batchSize ?? 2_000;
    const read = (after: Checkpoint) => {
      const reading = this.store.readAll({ after, maxCount: batchSize });
      reading.catch(() => undefined); // read ahead: a failure surfaces when the batch is awaited
      return reading;
    };
    let next: Promise<ReadAllBatch> = read(checkpoint);
    let previous: Promise<void> = Promise.resolve();
    let idle = 1;
    try {
      while (!this.stopping && !this.leaseLost) {
        const batch = await next;
        next = read(batch.next);
        if (batch.events.length === 0) {
          await previous;
          await this.pause(idle);
          idle = Math.min(idle * 2, this.options.maxPollIntervalMs ?? 25);
          continue;
        }
        idle = 1;
        const prepared = await this.prepare(batch, state);
        await previous;
        previous = this.sendAndRecord(producer, term, prepared);
        previous.catch(() => undefined); // surfaces when awaited before the next batch, or below
      }
    } finally {
      await previous;
    }
  }

  /** Maps a batch to Kafka records, and notes the stock levels its checkpoint must be stored with. */
  private async prepare(batch: ReadAllBatch, state: MappingState): Promise<PreparedBatch> {
    await this.preload(batch, state);
    const messages = new Map<string, Message[]>();
    const touched = new Set<string>();
    let count = 0;
    for (const event of batch.events) {
      if (inventoryStream.keyOf(event.streamId) !== undefined)
        touched.add((event.data as { sku: string }).sku);
      const integrationEvent = toIntegrationEvent(event, state);
      if (!integrationEvent) continue;
      const topic = topicName(this.settings, topicOf(integrationEvent.type));
      const list = messages.get(topic) ?? [];
      list.push(toKafkaMessage(integrationEvent));
      messages.set(topic, list);
      count++;
    }
    // Levels are immutable values: these are the ones as of this batch, whatever later batches fold.
    const levels = new Map([...touched].map((sku) => [sku, state.levels.get(sku)!] as const));
    return { events: batch.events.length, next: batch.next, messages, count, levels };
  }

  private async sendAndRecord(producer: BatchProducer, term: LeaseTerm, batch: PreparedBatch) {
    if (batch.count > 0) await this.send(producer, batch.messages);
    await this.options.onPublished?.({ events: batch.events, messages: batch.count, next: batch.next });
    await this.lease.fence(term, async (tx) => {
      await saveStockLevels(tx, this.name, batch.levels);
      await saveRelayCheckpoint(tx, this.name, batch.next, batch.count);
    });
    this.publishedCount += batch.count;
    this.trimOrderFacts();
  }

  /** Loads what mapping the batch needs and memory lacks: stock levels and placed orders' facts. */
  private async preload(batch: ReadAllBatch, state: MappingState) {
    const skus = skusTouched(batch.events).filter((sku) => !state.levels.has(sku));
    const levels = await loadStockLevels(this.db, this.name, skus);
    for (const sku of skus) state.levels.set(sku, levels.get(sku) ?? NO_STOCK);
    const orderIds = ordersToLoad(batch.events, state.orders);
    for (let i = 0; i < orderIds.length; i += 16)
      await Promise.all(
        orderIds.slice(i, i + 16).map(async (orderId) => {
          const [placed] = await this.store.readStream(orderStream.id(orderId), { maxCount: 1 });
          const facts = orderFactsFrom(placed);
          if (facts) state.orders.set(orderId, facts);
        }),
      );
  }

  private async send(producer: BatchProducer, messages: ReadonlyMap<string, Message[]>) {
    // Requests of bounded size, in log order; each waits for the previous one's acknowledgement.
    let request: TopicMessages[] = [];
    let bytes = 0;
    const flush = async () => {
      if (request.length === 0) return;
      const sending = producer.send(request, SEND_TIMEOUT_MS);
      await withTimeout(sending, SEND_TIMEOUT_MS + 5_000, 'Kafka did not acknowledge a batch in time');
      request = [];
      bytes = 0;
    };
    for (const [topic, list] of messages) {
      let current: Message[] = [];
      request.push({ topic, messages: current });
      for (const message of list) {
        const size = (message.value as string).length + (message.key as string).length + 200;
        if (bytes + size > MAX_REQUEST_BYTES && bytes > 0) {
          await flush();
          current = [];
          request.push({ topic, messages: current });
        }
        current.push(message);
        bytes += size;
      }
    }
    await flush();
  }

  private async connectProducer(): Promise<BatchProducer> {
    if (!this.topicsReady) {
      await ensureTopics(this.kafka, this.settings);
      this.topicsReady = true;
    }
    const producer = new ThreadedProducer(this.settings);
    this.producer = producer;
    await producer.connect();
    return producer;
  }

  private async dropProducer() {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private trimOrderFacts() {
    for (const orderId of this.orderFacts.keys()) {
      if (this.orderFacts.size <= ORDER_FACTS_CACHE) break;
      this.orderFacts.delete(orderId);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping || this.leaseLost) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function loadRelayCheckpoint(db: SqlClient, relay: string): Promise<Checkpoint> {
  const [row] = await db.query<{ transaction_id: string; global_position: string | number }>(
    `SELECT transaction_id::text AS transaction_id, global_position
       FROM integration_relay_checkpoints WHERE relay = $1`,
    [relay],
  );
  return row ? { transactionId: row.transaction_id, globalPosition: Number(row.global_position) } : LOG_START;
}

async function saveRelayCheckpoint(
  tx: SqlTransaction,
  relay: string,
  checkpoint: Checkpoint,
  published: number,
) {
  await tx.query(
    `INSERT INTO integration_relay_checkpoints (relay, transaction_id, global_position, published, updated_at)
     VALUES ($1, $2::xid8, $3, $4, now())
     ON CONFLICT (relay) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position,
           published = integration_relay_checkpoints.published + EXCLUDED.published, updated_at = now()`,
    [relay, checkpoint.transactionId, checkpoint.globalPosition, published],
  );
}
