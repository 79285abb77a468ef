import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Decider, DomainCommand, DomainError, DomainEvent } from '../domain/decider.ts';
import { WrongExpectedVersionError } from '../eventstore/errors.ts';
import { newEventId } from '../eventstore/event-ids.ts';
import type {
  Actor,
  AppendResult,
  EventStore,
  NewEvent,
  RecordedEvent,
  StreamAppend,
} from '../eventstore/event-store.ts';
import { StreamStateCache, type CachedStream } from './stream-state-cache.ts';

/** Who asks, and why: becomes the metadata of every event the command produces. */
export type CommandContext = Readonly<{
  actor: Actor;
  correlationId: string;
  causationId?: string | null;
  traceId?: string;
  /** When the command is handled; defaults to the clock. */
  now?: Date;
  /** Nobody waits on the answer (the saga, timers): its append may let a request's go first. */
  background?: boolean;
}>;

/** `eventIds`: the ids the command's events were appended with (a process names them as causes). */
export type Handled<E, S> = Readonly<{
  events: readonly E[];
  eventIds: readonly string[];
  state: S;
  version: number;
}>;

/**
 * A command decided against the state of its stream held in this process, to be appended only after
 * another stream's first events, in the same round trip (`handleNew`'s `then`). `appended` says
 * whether it was; if not, the caller sends the command the usual way (`handle`).
 */
export type FollowingCommand = {
  readonly append: StreamAppend;
  appended: boolean;
  /** Told what became of the append: the handler keeps the stream's new state, or forgets the old one. */
  settle(result: AppendResult | WrongExpectedVersionError): void;
};

export type CommandHandlerOptions = Readonly<{
  /** Attempts of one batch after version conflicts before the conflict is reported. */
  maxAttempts?: number;
  /** Commands for one stream decided together and appended as one batch. */
  maxBatch?: number;
  /** Streams whose state is kept in memory between commands. */
  cachedStreams?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every version conflict (e.g. to count it in /metrics); `retrying` is false when giving up. */
  onConflict?: (streamId: string, retrying: boolean) => void;
}>;

export type CommandHandlerStats = { appends: number; conflicts: number; retries: number; exhausted: number };

type Pending<C, E, S, Err> = {
  command: C;
  context: CommandContext;
  resolve(result: Either<Err, Handled<E, S>>): void;
  reject(error: unknown): void;
};

type Outcome<C, E, S, Err, P = Pending<C, E, S, Err>> = {
  pending: P;
  result: Either<Err, readonly E[]>;
  eventIds: string[];
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Load, decide, append with the expected version; on a version conflict, reload and decide again
 * (bounded attempts, jittered backoff), then report the conflict.
 *
 * Commands to one stream queue up in this process and are decided together against one state, then
 * appended as one batch: a flash sale of a thousand buyers for one SKU costs one read and a few
 * appends instead of a thousand conflicting ones. Another process writing the same stream is caught
 * by the expected version, exactly as before. Stream state is cached and trusted optimistically: a
 * stale cache can only cost a conflict and a reload, never a wrong decision, because a decision that
 * refuses a command is only reported after the stream was checked for newer events.
 */
export class CommandHandler<C extends DomainCommand, E extends DomainEvent, S, Err extends DomainError> {
  readonly stats: CommandHandlerStats = { appends: 0, conflicts: 0, retries: 0, exhausted: 0 };
  private readonly queues = new Map<string, Pending<C, E, S, Err>[]>();
  private readonly cache: StreamStateCache<S>;
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onConflict: (streamId: string, retrying: boolean) => void;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<C, E, S, Err>,
    options: CommandHandlerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 12;
    this.maxBatch = options.maxBatch ?? 200;
    this.cache = new StreamStateCache(options.cachedStreams ?? 10_000);
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.onConflict = options.onConflict ?? (() => undefined);
  }

  /** Resolves with the events recorded (none if the command changed nothing) or the rule it broke. */
  handle(streamId: string, command: C, context: CommandContext): Promise<Either<Err, Handled<E, S>>> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(streamId);
      const pending = { command, context, resolve, reject };
      if (queue) return void queue.push(pending);
      this.queues.set(streamId, [pending]);
      void this.drain(streamId);
    });
  }

  /**
   * A command for a stream its caller expects to be new (an order id never used before): decided
   * against the initial state and appended as the stream's first events, without reading the stream
   * first. Resolves with `undefined`, having written nothing, when the stream exists: the caller then
   * takes the usual way (`load`, `handle`).
   */
  async handleNew(
    streamId: string,
    command: C,
    context: CommandContext,
    then?: FollowingCommand,
  ): Promise<Either<Err, Handled<E, S>> | undefined> {
    if (this.cache.get(streamId) || this.queues.has(streamId)) return undefined;
    const decided = this.decideAll(this.decider.initialState(), [{ command, context }]);
    const { result, eventIds } = decided.outcomes[0]!;
    if (isLeft(result)) return left(result.left);
    try {
      const options = { background: context.background };
      const appended = then
        ? await this.appendFollowed(streamId, decided.newEvents, then, options)
        : await this.store.append(streamId, decided.newEvents, 'no_stream', options);
      const stream = this.remember(streamId, decided.state, appended.nextExpectedVersion);
      return right({ events: result.right, eventIds, state: stream.state, version: stream.version });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return undefined;
      throw error;
    }
  }

  /**
   * `command` decided against the state of its stream held here, for another handler's `handleNew`
   * to append after its own events, in one round trip. Undefined, and the caller sends it with
   * `handle`, when no state is held here or a command for the stream is on its way, or when the
   * command would append nothing or is refused (`handle` then decides on the latest state).
   */
  following(streamId: string, command: C, context: CommandContext): FollowingCommand | undefined {
    const stream = this.cache.get(streamId);
    if (!stream || this.queues.has(streamId)) return undefined;
    const decided = this.decideAll(stream.state, [{ command, context }]);
    if (decided.newEvents.length === 0 || isLeft(decided.outcomes[0]!.result)) return undefined;
    const following: FollowingCommand = {
      append: {
        streamId,
        events: decided.newEvents,
        expectedVersion: stream.version === 0 ? 'no_stream' : stream.version,
      },
      appended: false,
      settle: (result) => {
        if (result instanceof WrongExpectedVersionError) {
          this.cache.delete(streamId);
          this.stats.conflicts++;
          this.onConflict(streamId, true);
          return;
        }
        this.remember(streamId, decided.state, result.nextExpectedVersion);
        following.appended = true;
      },
    };
    return following;
  }

  /** A new stream's first events, and `then` after them in the same round trip (told what became of it). */
  private async appendFollowed(
    streamId: string,
    events: readonly NewEvent[],
    then: FollowingCommand,
    options: Readonly<{ background?: boolean }>,
  ): Promise<AppendResult> {
    const both = await this.store.appendThen(
      { streamId, events, expectedVersion: 'no_stream' },
      then.append,
      options,
    );
    then.settle(both.then);
    return both.first;
  }

  /** Current state of a stream, read from the store (and refreshing the cache). */
  async load(streamId: string): Promise<CachedStream<S>> {
    return this.catchUp(streamId, this.cache.get(streamId));
  }

  /** The current states of several streams, read from the store in one go (and refreshing the cache). */
  async loadMany(streamIds: readonly string[]): Promise<Map<string, CachedStream<S>>> {
    const known = streamIds.map((streamId) => ({ streamId, cached: this.cache.get(streamId) }));
    const read = await this.store.readStreams(
      known.map(({ streamId, cached }) => ({ streamId, fromVersion: (cached?.version ?? 0) + 1 })),
    );
    return new Map(
      known.map(({ streamId, cached }) => [streamId, this.fold(streamId, cached, read.get(streamId) ?? [])]),
    );
  }

  /**
   * Events of a stream read elsewhere from `fromVersion` on (a process manager reading the streams it
   * drives), folded into the cached state when they continue it (or `fromVersion` is 1: the whole
   * stream), so the next command for the stream needs no read of its own; ignored otherwise. Like
   * any cached state it is only trusted optimistically: the append's expected version checks it.
   */
  observe(streamId: string, fromVersion: number, recorded: readonly RecordedEvent[]): void {
    const cached = this.cache.get(streamId);
    const readTo = recorded.at(-1)?.streamVersion ?? fromVersion - 1;
    if (cached && cached.version >= readTo) return; // the cache knows as much already
    if (fromVersion !== 1 && cached?.version !== fromVersion - 1) return;
    this.fold(streamId, fromVersion === 1 ? undefined : cached, recorded);
  }

  private async drain(streamId: string): Promise<void> {
    const queue = this.queues.get(streamId)!;
    // Let commands sent in the same tick (e.g. two saga records) join this first batch.
    await Promise.resolve();
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        await this.handleBatch(streamId, batch);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.queues.delete(streamId);
  }

  private async handleBatch(streamId: string, batch: Pending<C, E, S, Err>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let stream = this.cache.get(streamId) ?? (await this.catchUp(streamId, undefined));
      let decided = this.decideAll(stream.state, batch);
      if (decided.outcomes.some((o) => isLeft(o.result)) && !stream.fresh) {
        // A refusal must rest on the latest state: look for events another process appended.
        const latest = await this.catchUp(streamId, stream);
        if (latest.version !== stream.version) decided = this.decideAll(latest.state, batch);
        stream = latest;
      }
      if (decided.newEvents.length === 0) return this.settle(decided.outcomes, stream);
      try {
        const expected = stream.version === 0 ? 'no_stream' : stream.version;
        const appended = await this.store.append(streamId, decided.newEvents, expected, {
          background: batch.every((pending) => pending.context.background),
        });
        return this.settle(
          decided.outcomes,
          this.remember(streamId, decided.state, appended.nextExpectedVersion),
        );
      } catch (error) {
        this.cache.delete(streamId);
        if (!(error instanceof WrongExpectedVersionError)) {
          if (batch.length === 1) throw error;
          // One command's events were refused (e.g. too large): decide the others without it.
          for (const pending of batch) await this.handleBatch(streamId, [pending]).catch(pending.reject);
          return;
        }
        this.stats.conflicts++;
        const retrying = attempt < this.maxAttempts;
        this.onConflict(streamId, retrying);
        if (!retrying) {
          this.stats.exhausted++;
          throw error;
        }
        this.stats.retries++;
        await this.sleep(this.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
  }

  private decideAll<P extends Pick<Pending<C, E, S, Err>, 'command' | 'context'>>(initial: S, batch: P[]) {
    let state = initial;
    const outcomes: Outcome<C, E, S, Err, P>[] = [];
    const newEvents: NewEvent[] = [];
    for (const pending of batch) {
      const result = this.decider.decide(pending.command, state);
      const eventIds: string[] = [];
      outcomes.push({ pending, result, eventIds });
      if (isLeft(result)) continue;
      for (const event of result.right) {
        state = this.decider.evolve(state, event);
        const recorded = toNewEvent(event, pending.context);
        eventIds.push(recorded.eventId);
        newEvents.push(recorded);
      }
    }
    return { state, outcomes, newEvents };
  }

  /** The stream as this process's append left it, kept for its next command. */
  private remember(streamId: string, state: S, version: number): CachedStream<S> {
    this.stats.appends++;
    const stream = { state, version, fresh: false };
    this.cache.set(streamId, stream);
    return stream;
  }

  private settle(outcomes: Outcome<C, E, S, Err>[], stream: CachedStream<S>) {
    for (const { pending, result, eventIds } of outcomes)
      pending.resolve(
        isLeft(result)
          ? left(result.left)
          : right({ events: result.right, eventIds, state: stream.state, version: stream.version }),
      );
  }

  /** Reads the events appended after `known` (all of them without it) and folds them in. */
  private async catchUp(streamId: string, known: CachedStream<S> | undefined): Promise<CachedStream<S>> {
    const recorded = await this.store.readStream(streamId, { fromVersion: (known?.version ?? 0) + 1 });
    return this.fold(streamId, known, recorded);
  }

  private fold(
    streamId: string,
    known: CachedStream<S> | undefined,
    recorded: readonly RecordedEvent[],
  ): CachedStream<S> {
    let state = known?.state ?? this.decider.initialState();
    for (const event of recorded)
      state = this.decider.evolve(state, { type: event.type, data: event.data } as E);
    const stream = { state, version: recorded.at(-1)?.streamVersion ?? known?.version ?? 0, fresh: true };
    this.cache.set(streamId, { ...stream, fresh: false });
    return stream;
  }
}

const toNewEvent = (event: DomainEvent, context: CommandContext): NewEvent & { eventId: string } => ({
  eventId: newEventId(),
  type: event.type,
  data: event.data,
  metadata: {
    correlationId: context.correlationId,
    causationId: context.causationId ?? null,
    actor: context.actor,
    occurredAt: (context.now ?? new Date()).toISOString(),
    ...(context.traceId ? { traceId: context.traceId } : {}),
  },
});
