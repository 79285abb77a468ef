import type { WrongExpectedVersionError } from './errors.ts';

/**
 * The event store port. Every adapter (PostgreSQL, PGlite, KurrentDB) implements it and passes the
 * same contract suite (test/eventstore/contract.ts).
 */

export type Actor = Readonly<{ id: string; role: string }>;

export type EventMetadata = Readonly<{
  correlationId: string;
  causationId: string | null;
  actor: Actor;
  occurredAt: string;
  traceId?: string;
}>;

/** An event to append. `eventId` (UUIDv7) makes a retried append a no-op; it is generated when absent. */
export type NewEvent = Readonly<{
  eventId?: string;
  type: string;
  schemaVersion?: number;
  data: unknown;
  metadata: EventMetadata;
}>;

/** An event as stored: the envelope of ARCHITECTURE.md. */
export type RecordedEvent<Data = unknown> = Readonly<{
  eventId: string;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string;
  hash: string;
  /** Where this event sits in the global log; a subscriber resumes after it. */
  checkpoint: Checkpoint;
}>;

/**
 * A place in the global log. The log is ordered by (transaction, position), not by position alone:
 * positions are handed out before commit, so a transaction that commits late carries positions lower
 * than events already read. Resuming from a checkpoint therefore never skips such an event.
 */
export type Checkpoint = Readonly<{ transactionId: string; globalPosition: number }>;
export const LOG_START: Checkpoint = { transactionId: '0', globalPosition: 0 };

/** Orders two places in the log: negative when `a` comes first. */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  return a.globalPosition - b.globalPosition;
}

/** The stream has exactly this many events (0: none yet). */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export type AppendResult = Readonly<{
  /** The stream's version after the append (the version of its last event). */
  nextExpectedVersion: number;
  /** Global position of the last event appended. */
  lastPosition: number;
  /** False when these very events had been appended before: nothing was written. */
  written: boolean;
}>;

export type ReadStreamOptions = Readonly<{
  direction?: 'forward' | 'backward';
  /** First version to read (inclusive). Forward default 1, backward default: the last. */
  fromVersion?: number;
  maxCount?: number;
}>;

export type ReadAllOptions = Readonly<{
  /** Read events after this place in the log: a checkpoint, or the global position of an event read before. */
  after?: Checkpoint | number;
  maxCount?: number;
  /**
   * Only events of these types (`maxCount` of them at most); the others are passed over without
   * being sent. `next` then says how far the read got, which may be past the last event returned.
   */
  types?: readonly string[];
}>;

/** `next`: where to read on from (after the last event read, returned or passed over). */
export type ReadAllBatch = Readonly<{ events: readonly RecordedEvent[]; next: Checkpoint }>;

/**
 * `next`: where the subscription reads on from once the handler succeeds. With `types`, the handler
 * may get no events at all: the log moved past events of other types only, up to `next`.
 */
export type SubscriptionHandler = (events: readonly RecordedEvent[], next: Checkpoint) => Promise<void>;

export type SubscribeOptions = Readonly<{
  /** Catch up from here (exclusive), then follow live. */
  after?: Checkpoint;
  batchSize?: number;
  /** Longest pause between polls when nothing new arrives (ms). */
  maxPollIntervalMs?: number;
  /**
   * After a batch that caught up with the log, wait this long before reading on, so that events
   * arriving meanwhile are handled in one batch instead of a few at a time (default 100, for views;
   * work queues ask for less; at most `maxPollIntervalMs` where the log is polled, not where the
   * store is told of every append). Each batch of a SQL projection is a transaction: docs/decisions/0028.
   */
  gatherMs?: number;
  /** Only events of these types reach the handler (see `ReadAllOptions.types`). */
  types?: readonly string[];
  onError?: (error: unknown) => void;
}>;

export interface Subscription {
  /** Where the subscriber is: everything up to here has been handled. */
  readonly checkpoint: Checkpoint;
  stop(): Promise<void>;
}

export type AppendOptions = Readonly<{
  /** Nobody waits on this append (the saga's steps): a store may let other appends go first. */
  background?: boolean;
}>;

/** One stream's append, as `append` takes it. */
export type StreamAppend = Readonly<{
  streamId: string;
  events: readonly NewEvent[];
  expectedVersion: ExpectedVersion;
}>;

export interface EventStore {
  append(
    streamId: string,
    events: readonly NewEvent[],
    expectedVersion: ExpectedVersion,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Two appends to two streams, the second made only if the first was (appended now, or these very
   * events before), in one round trip where the store can (one that cannot makes them one after the
   * other). Not one transaction: the second keeps its own expected version, and a conflict
   * of its own is its answer (`then`) while the first stands. Throws as `append` does for the first,
   * having written nothing of the second. Checkout places an order and closes its cart this way.
   */
  appendThen(
    first: StreamAppend,
    then: StreamAppend,
    options?: AppendOptions,
  ): Promise<{ first: AppendResult; then: AppendResult | WrongExpectedVersionError }>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Several streams at once, each forward from its own version: one read instead of one per stream. */
  readStreams(
    streams: readonly Readonly<{ streamId: string; fromVersion: number }>[],
  ): Promise<Map<string, RecordedEvent[]>>;
  /** The stream's version (0 when it has no events). */
  streamVersion(streamId: string): Promise<number>;
  readAll(options?: ReadAllOptions): Promise<ReadAllBatch>;
  subscribe(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}
