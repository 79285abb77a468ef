import { batched } from '../db/batched.ts';
import { BY_KEY, constraintName, inBackground, sqlState, type SqlClient } from '../db/sql-client.ts';
import { InvalidAppendError, UnknownPositionError, WrongExpectedVersionError } from './errors.ts';
import {
  compareCheckpoints,
  LOG_START,
  type AppendOptions,
  type AppendResult,
  type Checkpoint,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllBatch,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type StreamAppend,
  type SubscriptionHandler,
} from './event-store.ts';
import { LogTail } from './log-tail.ts';
import { Signal } from './signal.ts';
import { StreamVersions } from './stream-versions.ts';
import { followLog } from './subscription.ts';
import { appendPayload, assertStreamId, encodeExpectedVersion, prepareEvents } from './validation.ts';

export const EVENT_COLUMNS = `global_position, transaction_id::text AS transaction_text, stream_id, stream_version,
  event_id::text AS event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash`;

export type EventRow = {
  global_position: string | number;
  transaction_text: string;
  stream_id: string;
  stream_version: string | number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date | string;
  prev_hash: string;
  hash: string;
};

export const toRecordedEvent = (row: EventRow): RecordedEvent => {
  const globalPosition = Number(row.global_position);
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    globalPosition,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at).toISOString(),
    prevHash: row.prev_hash,
    hash: row.hash,
    checkpoint: { transactionId: row.transaction_text, globalPosition },
  };
};

type WantedStream = Readonly<{ streamId: string; fromVersion: number }>;

type AppendRow = { outcome: string; stream_version: string | number; last_position: string | number | null };

/** Appends waiting to be sent, and the calls of them in flight, on one client of the database. */
type AppendLane = { db: SqlClient; queue: QueuedAppend[]; calls: number; maxCalls: number };

type QueuedAppend = {
  streamId: string;
  expected: number;
  payload: string;
  /** The append of the same call this one is made only after (`appendThen`). */
  after?: QueuedAppend;
  /** The outcome: 'ok', 'duplicate', 'conflict', or 'skipped' (its `after` was not made). */
  row: Promise<AppendRow>;
  resolve(row: AppendRow): void;
  reject(error: unknown): void;
};

/** Append calls in flight at once; appends made meanwhile wait and then go together in one call. */
const MAX_APPEND_CALLS = 2;
const MAX_APPENDS_PER_CALL = 100;
/** Reads of stream tails in flight at once, and reads (each of one or more streams) at most in one. */
const MAX_READ_CALLS = 2;
const MAX_READS_PER_CALL = 64;
/** How long a call of several appends waits for a stream row another transaction holds. */
const APPEND_MANY_LOCK_TIMEOUT = '250ms';

export type SqlEventStoreOptions = {
  /** The event types this platform knows; an append of any other type is refused. */
  eventTypes: Iterable<string>;
  /**
   * How often a subscription told of every append (by this process, or other processes' notices)
   * looks for appends it was not told of, none expected (default 1 s).
   */
  quietPollMs?: number;
};

/**
 * The event store on PostgreSQL or PGlite: the same schema (migrations/0001) and the same SQL for both.
 * One `es_append` call per append: a row lock on the stream serialises writers of that stream only.
 * A process opens one store per database (on PGlite it is the database's only writer).
 */
export class SqlEventStore implements EventStore {
  private readonly knownTypes: ReadonlySet<string>;
  /** Appends made through this store, and (PostgreSQL) other processes' notices of theirs. */
  private readonly appended = new Signal();
  private listening = false;
  private readonly subscriptions = new Set<Subscription>();
  /** The recent log, read once for all of this process's subscriptions. */
  private readonly tail = new LogTail((options) => this.readAllFrom(inBackground(this.db), options));
  /**
   * PGlite admits one process and runs one statement at a time: this process makes every append to
   * it (so it can know every stream's version, and need not poll for others' appends), and a second
   * append call would only queue behind the first.
   */
  private readonly soleWriter: boolean;
  private readonly quietPollMs: number;
  private readonly appends: AppendLane;
  /** Where the background's appends wait, when the database lets other statements go first (PGlite). */
  private readonly backgroundAppends: AppendLane;
  /** For a sole writer: every stream's version, so a tail read with nothing new skips the query. */
  private readonly versions: StreamVersions | undefined;

  constructor(
    private readonly db: SqlClient,
    options: SqlEventStoreOptions,
  ) {
    this.knownTypes = new Set(options.eventTypes);
    this.quietPollMs = options.quietPollMs ?? 1_000;
    this.soleWriter = db.dialect === 'pglite';
    this.versions = this.soleWriter ? new StreamVersions(db) : undefined;
    const maxCalls = this.soleWriter ? 1 : MAX_APPEND_CALLS;
    this.appends = { db, queue: [], calls: 0, maxCalls };
    // A database running one statement at a time lets requests' appends go before the background's.
    this.backgroundAppends =
      this.soleWriter && db.background ? { db: db.background, queue: [], calls: 0, maxCalls } : this.appends;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expectedVersion: ExpectedVersion,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const [queued] = this.queueAppends([{ streamId, events, expectedVersion }], options);
    return this.appendResult(queued!, expectedVersion);
  }

  async appendThen(
    first: StreamAppend,
    then: StreamAppend,
    options: AppendOptions = {},
  ): Promise<{ first: AppendResult; then: AppendResult | WrongExpectedVersionError }> {
    const [queuedFirst, queuedThen] = this.queueAppends([first, then], options);
    // Whatever becomes of the first, the second's outcome is looked at only if the first was made.
    const thenRow = queuedThen!.row.catch(() => undefined);
    const firstResult = await this.appendResult(queuedFirst!, first.expectedVersion);
    const thenResult =
      (await thenRow)?.outcome === 'skipped'
        ? // The first turned out made before (a retry of it won a race): the second goes on its own.
          this.append(then.streamId, then.events, then.expectedVersion, options)
        : this.appendResult(queuedThen!, then.expectedVersion);
    try {
      return { first: firstResult, then: await thenResult };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return { first: firstResult, then: error };
      throw error;
    }
  }

  /**
   * Checks every append (nothing is queued if one is invalid) and queues them together, each after
   * the one before it (`appendThen`: at most two), so that they go in one call.
   */
  private queueAppends(appends: readonly StreamAppend[], options: AppendOptions): QueuedAppend[] {
    const payloads = appends.map(({ streamId, events }) => {
      assertStreamId(streamId);
      return appendPayload(prepareEvents(streamId, events, this.knownTypes));
    });
    const lane = options.background ? this.backgroundAppends : this.appends;
    const queued: QueuedAppend[] = [];
    appends.forEach(({ streamId, expectedVersion }, i) => {
      let resolve!: (row: AppendRow) => void;
      let reject!: (error: unknown) => void;
      const row = new Promise<AppendRow>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const expected = encodeExpectedVersion(expectedVersion);
      queued.push({ streamId, expected, payload: payloads[i]!, after: queued[i - 1], row, resolve, reject });
    });
    lane.queue.push(...queued);
    this.flushAppends(lane);
    return queued;
  }

  /** What a queued append made of its stream, as `append` answers it. */
  private async appendResult(queued: QueuedAppend, expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const { streamId } = queued;
    let row: AppendRow;
    try {
      row = await queued.row;
    } catch (error) {
      await this.versions?.unsure(streamId);
      throw error;
    }
    // 'ok' and 'conflict' tell the stream's version now ('duplicate' tells that of the earlier append).
    if (row.outcome !== 'duplicate') this.versions?.saw(streamId, Number(row.stream_version));
    if (row.outcome === 'conflict')
      throw new WrongExpectedVersionError(streamId, expectedVersion, Number(row.stream_version));
    if (row.outcome === 'ok') {
      this.appended.signal();
      this.db.notices?.announce();
    }
    return {
      nextExpectedVersion: Number(row.stream_version),
      lastPosition: Number(row.last_position),
      written: row.outcome === 'ok',
    };
  }

  /**
   * Sends the appends waiting, up to `MAX_APPEND_CALLS` calls at a time: appends made while those
   * calls run wait for a free one and then go together, in one `es_append_many` call (one round trip,
   * one commit). Each keeps its own expected version and outcome; a lone append is a plain `es_append`.
   * For a sole writer (PGlite) one call at a time, which gathers more appends into each; there the
   * background's appends go in calls of their own, which the database runs after the other statements
   * waiting (see `SqlClient.background`): a shopper's append waits for the statement running, not for
   * a batch of the saga's.
   */
  private flushAppends(lane: AppendLane): void {
    while (lane.queue.length > 0 && lane.calls < lane.maxCalls) {
      // An append made only after another goes in the same call as that one.
      const cut = lane.queue[MAX_APPENDS_PER_CALL]?.after ? MAX_APPENDS_PER_CALL + 1 : MAX_APPENDS_PER_CALL;
      const batch = lane.queue.splice(0, cut);
      lane.calls++;
      void this.sendAppends(lane.db, batch).finally(() => {
        lane.calls--;
        this.flushAppends(lane);
      });
    }
  }

  private async sendAppends(db: SqlClient, batch: QueuedAppend[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch as [QueuedAppend];
      await this.appendOne(db, one.streamId, one.expected, one.payload).then(one.resolve, one.reject);
      return;
    }
    // Stream rows are locked in stream id order, so two calls never wait for each other in a cycle.
    const sorted = [...batch].sort((a, b) =>
      a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
    );
    const ordinals = new Map(sorted.map((append, i) => [append, i + 1]));
    let rows: (AppendRow & { ordinal: number })[];
    try {
      rows = await db.query<AppendRow & { ordinal: number }>(
        `SELECT ordinal, outcome, stream_version, last_position FROM es_append_many($1::jsonb, $2)`,
        [
          `[${sorted.map((a) => `{"streamId":${JSON.stringify(a.streamId)},"expectedVersion":${a.expected},${a.after ? `"after":${ordinals.get(a.after)},` : ''}"events":${a.payload}}`).join(',')}]`,
          APPEND_MANY_LOCK_TIMEOUT,
        ],
        BY_KEY,
      );
    } catch {
      // Nothing of the call was written (one statement): an event id reused, invalid data, a stream
      // held by another transaction past the lock timeout, a lost connection. Append one by one, each
      // then meeting its own outcome (event ids make an append that did land a no-op); one made only
      // after another waits for that one's outcome.
      rows = [];
    }
    const byOrdinal = new Map(rows.map((row) => [Number(row.ordinal), row]));
    await Promise.all(
      sorted.map(async (append, i) => {
        const row = byOrdinal.get(i + 1);
        if (row) return append.resolve(row);
        const made = await append.after?.row.then(
          (before) => before.outcome === 'ok' || before.outcome === 'duplicate',
          () => false,
        );
        if (made === false)
          return append.resolve({ outcome: 'skipped', stream_version: 0, last_position: null });
        await this.appendOne(db, append.streamId, append.expected, append.payload).then(
          append.resolve,
          append.reject,
        );
      }),
    );
  }

  /**
   * Writes the first events of each stream that has none yet, many streams per statement; a stream
   * that has events is left as it is. The same `es_append` as `append` (checks, hash chain, event ids),
   * in far fewer round trips, for seeding. Returns how many streams it wrote.
   */
  async createStreams(streams: readonly Readonly<{ stream: string; events: readonly NewEvent[] }>[]) {
    const payload = streams.map(({ stream, events }) => {
      assertStreamId(stream);
      return `{"stream":${JSON.stringify(stream)},"events":${appendPayload(prepareEvents(stream, events, this.knownTypes))}}`;
    });
    // Expected version -2 is `no_stream`: a stream that exists answers 'conflict' and is skipped.
    const written = await this.db.query<{ stream: string; stream_version: string | number }>(
      `SELECT s.stream, a.stream_version FROM jsonb_to_recordset($1::jsonb) AS s(stream text, events jsonb),
              LATERAL es_append(s.stream, -2, s.events) AS a
        WHERE a.outcome = 'ok'`,
      [`[${payload.join(',')}]`],
    );
    for (const row of written) this.versions?.saw(row.stream, Number(row.stream_version));
    if (written.length > 0) this.appended.signal();
    return written.length;
  }

  private async appendOne(
    db: SqlClient,
    streamId: string,
    expected: number,
    payload: string,
  ): Promise<AppendRow> {
    let row: AppendRow | undefined;
    try {
      [row] = await db.query<AppendRow>(
        `SELECT outcome, stream_version, last_position FROM es_append($1, $2, $3::jsonb)`,
        [streamId, expected, payload],
        BY_KEY,
      );
    } catch (error) {
      throw translateAppendError(error);
    }
    if (!row) throw new Error('es_append returned no row');
    return row;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const backward = options.direction === 'backward';
    const from = options.fromVersion ?? (backward ? Number.MAX_SAFE_INTEGER : 1);
    const known = this.versions?.versionOf(streamId);
    if (known !== undefined && (known === 0 || (!backward && from > known))) return [];
    if (!backward && options.maxCount === undefined)
      return (await this.tails([{ streamId, fromVersion: from }])).get(streamId)!;
    const rows = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events
        WHERE stream_id = $1 AND stream_version ${backward ? '<=' : '>='} $2
        ORDER BY stream_version ${backward ? 'DESC' : 'ASC'} LIMIT $3`,
      [streamId, from, options.maxCount ?? null],
      BY_KEY,
    );
    return rows.map(toRecordedEvent);
  }

  async readStreams(streams: readonly WantedStream[]): Promise<Map<string, RecordedEvent[]>> {
    for (const { streamId } of streams) assertStreamId(streamId);
    const wanted = streams.filter((s) => s.fromVersion <= (this.versions?.versionOf(s.streamId) ?? Infinity));
    const read = wanted.length > 0 ? await this.tails(wanted) : new Map<string, RecordedEvent[]>();
    return new Map(streams.map((s) => [s.streamId, read.get(s.streamId) ?? []]));
  }

  /**
   * Streams read from a version to their end. Reads asked while `MAX_READ_CALLS` are on their way
   * wait and then go together in one statement: a surge's checkouts, each reading its cart's and its
   * products' streams, make a round trip for many instead of one each.
   */
  private readonly tails = batched(
    MAX_READS_PER_CALL,
    (asks: readonly (readonly WantedStream[])[]) => this.readTails(asks),
    MAX_READ_CALLS,
  );

  private async readTails(
    asks: readonly (readonly WantedStream[])[],
  ): Promise<Map<string, RecordedEvent[]>[]> {
    const all = asks.flat();
    // Stream by stream through the (stream_id, stream_version) index, whatever the planner knows.
    // OFFSET 0 keeps the planner from pulling the subquery up into a join, which it planned as a scan
    // of the whole log whenever it planned for the values at hand (PGlite never gathers statistics):
    // 26-35 ms instead of 1-3 ms for 64 streams on a log of 72,000 events.
    const rows = await this.db.query<EventRow & { n: string | number }>(
      `SELECT wanted.n, e.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS wanted(id, from_version, n),
              LATERAL (SELECT ${EVENT_COLUMNS} FROM es_events
                        WHERE stream_id = wanted.id AND stream_version >= wanted.from_version
                        ORDER BY stream_version OFFSET 0) e
        ORDER BY wanted.n, e.stream_version`,
      [all.map((s) => s.streamId), all.map((s) => s.fromVersion)],
      BY_KEY,
    );
    // Each read's streams, in the order asked (`n` counts from 1 over every read of the statement).
    const answers: Map<string, RecordedEvent[]>[] = [];
    const askOf: Map<string, RecordedEvent[]>[] = [];
    for (const ask of asks) {
      const answer = new Map<string, RecordedEvent[]>();
      answers.push(answer);
      for (const { streamId } of ask) {
        if (!answer.has(streamId)) answer.set(streamId, []);
        askOf.push(answer);
      }
    }
    for (const row of rows) askOf[Number(row.n) - 1]!.get(row.stream_id)!.push(toRecordedEvent(row));
    return answers;
  }

  async streamVersion(streamId: string): Promise<number> {
    assertStreamId(streamId);
    const known = this.versions?.versionOf(streamId);
    if (known !== undefined) return known;
    const [row] = await this.db.query<{ version: string | number }>(
      `SELECT version FROM es_streams WHERE stream_id = $1`,
      [streamId],
      BY_KEY,
    );
    return row ? Number(row.version) : 0;
  }

  readAll(options: ReadAllOptions = {}): Promise<ReadAllBatch> {
    return this.readAllFrom(this.db, options);
  }

  private async readAllFrom(db: SqlClient, options: ReadAllOptions): Promise<ReadAllBatch> {
    const after = await this.resolveCheckpoint(options.after ?? LOG_START);
    if (options.types) return this.readAllOfTypes(db, after, options.types, options.maxCount ?? 1000);
    const rows = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events
        WHERE (transaction_id, global_position) > ($1::xid8, $2)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY es_events.transaction_id, global_position
        LIMIT $3`,
      [after.transactionId, after.globalPosition, options.maxCount ?? 1000],
    );
    const events = rows.map(toRecordedEvent);
    return { events, next: events.at(-1)?.checkpoint ?? after };
  }

  /**
   * The events of some types after `after`, and in the same statement (one snapshot) the last event
   * of the visible log: with fewer than `maxCount` events found, everything up to that one was seen,
   * so the next read starts after it. The types are filtered in the database: the events passed over
   * are neither sent nor decoded.
   */
  private async readAllOfTypes(
    db: SqlClient,
    after: Checkpoint,
    types: readonly string[],
    maxCount: number,
  ): Promise<ReadAllBatch> {
    const rows = await db.query<EventRow & { passed: boolean }>(
      `WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
       (SELECT false AS passed, ${EVENT_COLUMNS} FROM es_events, horizon
         WHERE (transaction_id, global_position) > ($1::xid8, $2) AND transaction_id < horizon.xmin
           AND type = ANY($4::text[])
         ORDER BY es_events.transaction_id, global_position
         LIMIT $3)
       UNION ALL
       (SELECT true AS passed, ${EVENT_COLUMNS} FROM es_events, horizon
         WHERE (transaction_id, global_position) > ($1::xid8, $2) AND transaction_id < horizon.xmin
         ORDER BY es_events.transaction_id DESC, global_position DESC
         LIMIT 1)`,
      [after.transactionId, after.globalPosition, maxCount, types],
    );
    // In log order whatever order the two parts of the union arrive in.
    const events = rows
      .filter((row) => !row.passed)
      .map(toRecordedEvent)
      .sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint));
    const last = rows.find((row) => row.passed);
    const next =
      events.length < maxCount && last
        ? toRecordedEvent(last).checkpoint
        : (events.at(-1)?.checkpoint ?? after);
    return { events, next };
  }

  subscribe(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    // A process listens for the others' notices once it follows the log (its first subscription).
    if (!this.listening) {
      this.listening = true;
      this.db.notices?.listen(() => this.appended.signal());
    }
    const subscription = followLog(
      {
        // A subscriber is background work: its reads wait for those of requests (on PGlite).
        readAll: (options) => this.tail.readAll(options),
        appendsSoFar: () => this.appended.count,
        waitForAppend: (ms, seen) => this.appended.wait(ms, seen),
        // Told of every append (by this process or the others' notices), polling is only a safety
        // net (docs/decisions/0007).
        quietWaitMs: () => (this.soleWriter || this.db.notices?.hearing ? this.quietPollMs : undefined),
      },
      handler,
      options,
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  private async resolveCheckpoint(after: Checkpoint | number): Promise<Checkpoint> {
    if (typeof after !== 'number') return after;
    if (!Number.isSafeInteger(after) || after < 0) throw new UnknownPositionError(after);
    if (after === 0) return LOG_START;
    const [row] = await this.db.query<{ transaction_id: string }>(
      `SELECT transaction_id::text AS transaction_id FROM es_events WHERE global_position = $1`,
      [after],
    );
    if (!row) throw new UnknownPositionError(after);
    return { transactionId: row.transaction_id, globalPosition: after };
  }
}

function translateAppendError(error: unknown): unknown {
  const state = sqlState(error);
  if (state === '23505' && constraintName(error) === 'es_events_event_id_unique')
    return new InvalidAppendError('event_id_reused', (error as Error).message);
  // Class 22: data exceptions, e.g. text PostgreSQL cannot store in jsonb.
  if (state?.startsWith('22')) return new InvalidAppendError('invalid_event', (error as Error).message);
  return error;
}
