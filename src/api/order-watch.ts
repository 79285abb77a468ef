import { streams } from '../commands/index.ts';
import type { EventStore, RecordedEvent } from '../eventstore/event-store.ts';

/** What the watch hands its listeners: an order as of one version of its stream, presented once. */
export type OrderUpdate<Message> = Readonly<{ version: number; message: Message }>;

/** One client following one order. */
export type OrderListener<Message> = Readonly<{
  /** The order moved past the version this listener was last given. */
  update(update: OrderUpdate<Message>): void;
  /** The watch is closing: the listener will hear nothing more. */
  closed(): void;
}>;

/** What a client read of the order before following it: every event of its stream up to `version`. */
export type OrderSeen = Readonly<{ version: number; events: readonly RecordedEvent[] }>;

export type OrderWatchOptions<Message> = Readonly<{
  store: Pick<EventStore, 'readStreams'>;
  /** An order's whole stream as listeners are given it; called once per change, whatever the listeners. */
  present(events: readonly RecordedEvent[]): Message;
  /** Pause between two reads while anyone watches (default 250 ms). */
  intervalMs?: number;
  onError?(error: unknown): void;
}>;

type Watched<Message> = {
  streamId: string;
  version: number;
  events: RecordedEvent[];
  /** The latest presentation made, when one was (at `version` once the watch has folded a change). */
  latest?: OrderUpdate<Message>;
  listeners: Map<OrderListener<Message>, { version: number }>;
};

/**
 * Follows the orders that clients watch, for the whole process: while anyone watches, it reads the
 * new events of every watched order stream in one batched read each interval, folds each order that
 * moved once and hands the result to all of its listeners. Nobody watching: no timer, no read.
 */
export class OrderWatch<Message> {
  private readonly orders = new Map<string, Watched<Message>>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private closing = false;
  private readCount = 0;
  private foldCount = 0;

  constructor(private readonly options: OrderWatchOptions<Message>) {
    this.intervalMs = options.intervalMs ?? 250;
  }

  /** Batched reads made so far. */
  get reads(): number {
    return this.readCount;
  }

  /** Orders presented so far: once per change of a watched order, however many follow it. */
  get presentations(): number {
    return this.foldCount;
  }

  /** Clients following an order now. */
  get listeners(): number {
    let count = 0;
    for (const watched of this.orders.values()) count += watched.listeners.size;
    return count;
  }

  /** Whether a read is scheduled or under way: false means nothing runs until someone follows an order. */
  get active(): boolean {
    return this.timer !== undefined || this.reading !== undefined;
  }

  /**
   * `listener` follows the order from what it has seen; the returned function stops that. If the
   * watch already holds a later version of the order, the listener gets it at once.
   */
  follow(orderId: string, seen: OrderSeen, listener: OrderListener<Message>): () => void {
    if (this.closing) {
      listener.closed();
      return () => undefined;
    }
    let watched = this.orders.get(orderId);
    if (!watched) {
      watched = {
        streamId: streams.order(orderId),
        version: seen.version,
        events: [...seen.events],
        listeners: new Map(),
      };
      this.orders.set(orderId, watched);
    }
    const known = { version: seen.version };
    watched.listeners.set(listener, known);
    if (watched.version > seen.version) this.tell(listener, known, this.latestOf(watched));
    this.schedule();
    const order = watched;
    return () => {
      order.listeners.delete(listener);
      if (order.listeners.size === 0 && this.orders.get(orderId) === order) this.orders.delete(orderId);
      if (this.orders.size === 0) this.stopTimer();
    };
  }

  /** Stops reading (waiting for a read under way) and tells every listener it is over. */
  async close(): Promise<void> {
    this.closing = true;
    this.stopTimer();
    await this.reading;
    const listeners = [...this.orders.values()].flatMap((watched) => [...watched.listeners.keys()]);
    this.orders.clear();
    for (const listener of listeners) listener.closed();
  }

  private schedule(): void {
    if (this.closing || this.timer || this.reading || this.orders.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reading = this.readChanges().finally(() => {
        this.reading = undefined;
        this.schedule();
      });
    }, this.intervalMs);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One read of every watched stream past its known version; each order that moved is presented once. */
  private async readChanges(): Promise<void> {
    const watched = [...this.orders.values()];
    this.readCount++;
    let read: Map<string, RecordedEvent[]>;
    try {
      read = await this.options.store.readStreams(
        watched.map(({ streamId, version }) => ({ streamId, fromVersion: version + 1 })),
      );
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    for (const order of watched) {
      const events = (read.get(order.streamId) ?? []).filter((e) => e.streamVersion > order.version);
      if (events.length === 0) continue;
      order.events.push(...events);
      order.version = events.at(-1)!.streamVersion;
      let latest: OrderUpdate<Message>;
      try {
        latest = this.latestOf(order);
      } catch (error) {
        this.options.onError?.(error);
        continue;
      }
      for (const [listener, known] of order.listeners) this.tell(listener, known, latest);
    }
  }

  private latestOf(order: Watched<Message>): OrderUpdate<Message> {
    if (order.latest?.version !== order.version) {
      this.foldCount++;
      order.latest = { version: order.version, message: this.options.present(order.events) };
    }
    return order.latest;
  }

  private tell(listener: OrderListener<Message>, known: { version: number }, update: OrderUpdate<Message>) {
    if (update.version <= known.version) return;
    known.version = update.version;
    try {
      listener.update(update);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
