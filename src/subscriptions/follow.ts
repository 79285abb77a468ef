import {
  inBackground,
  sqlState,
  type SqlClient,
  type SqlRow,
  type SqlStatement,
  type SqlTransaction,
} from '../db/sql-client.ts';
import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../eventstore/event-store.ts';
import {
  compareCheckpoints,
  ensureCheckpointRow,
  FENCE_MISSED,
  fencedMove,
  loadCheckpoint,
  lockCheckpoint,
  moveCheckpoint,
  saveCheckpoint,
} from './checkpoints.ts';

/** A read model kept in the same SQL database as the events. */
export type SqlProjection = Readonly<{
  name: string;
  /** The event types it reads; others only move its checkpoint. */
  eventTypes: ReadonlySet<string>;
  apply(tx: SqlTransaction, events: readonly RecordedEvent[]): Promise<void>;
  /**
   * Its `apply` reads (SELECT statements), if at all, before it writes, and never reads what a write
   * answers. Where the database takes many statements in one exchange (PGlite), a live batch's reads
   * then go first, each alone, and its writes with the checkpoint's move in one exchange, instead of
   * a transaction holding the database while this process makes each next statement. The fence tells
   * whether the rows read are still those of the checkpoint the batch was read from. A function
   * answers it batch by batch, for a projection whose `apply` does so for some batches only.
   */
  readsThenWrites?: boolean | ((events: readonly RecordedEvent[]) => boolean);
  /** Told of the events of its types once a live batch holding them has committed (this process only). */
  afterCommit?: (events: readonly RecordedEvent[]) => void;
  /** How eagerly it follows the log (see `SubscribeOptions`); a work queue reads sooner than a view. */
  follow?: Readonly<{ gatherMs?: number; maxPollIntervalMs?: number }>;
  /**
   * How it is rebuilt from position 0: the tables it writes (a rebuild builds copies beside the live
   * ones and swaps them in), or why it may not be.
   */
  rebuild: Readonly<{ tables: readonly string[] }> | Readonly<{ refused: string }>;
}>;

/**
 * A read model kept outside the SQL database (Redis, Elasticsearch). Its writes must be idempotent,
 * keyed by stream and version: its checkpoint is saved after them, so a crash between the two
 * re-delivers the batch, which must then change nothing.
 */
export type ExternalProjection = Readonly<{
  name: string;
  eventTypes: ReadonlySet<string>;
  apply(events: readonly RecordedEvent[]): Promise<void>;
}>;

/** Applies one batch and moves the checkpoint in the same transaction: all or nothing. */
export async function applyBatch(db: SqlClient, projection: SqlProjection, events: readonly RecordedEvent[]) {
  const last = events.at(-1);
  if (!last) return;
  const relevant = events.filter((e) => projection.eventTypes.has(e.type));
  await db.transaction(async (tx) => {
    if (relevant.length > 0) await projection.apply(tx, relevant);
    await saveCheckpoint(tx, projection.name, last.checkpoint);
  });
}

/** A statement of `readsThenWrites` that reads. */
const READ = /^\s*SELECT\b/i;

/**
 * A live batch, fenced by the stored checkpoint: the batch was read `after` a place in the log, and
 * is applied only from where the stored checkpoint says the rows are. Events the stored checkpoint has
 * passed are skipped (another worker, or a rebuild swapped in further on, applied them). A stored
 * checkpoint behind `after` means the rows were replaced by a rebuild that ended there: nothing is
 * applied and the caller resumes from the returned checkpoint.
 */
export async function applyFencedBatch(
  db: SqlClient,
  projection: SqlProjection,
  events: readonly RecordedEvent[],
  after: Checkpoint,
  /** Where the read that gave the batch got to (past its last event when others were passed over). */
  to: Checkpoint | undefined = events.at(-1)?.checkpoint,
): Promise<{ resumeFrom?: Checkpoint }> {
  if (!to || compareCheckpoints(to, after) <= 0) return {};
  const relevant = events.filter((e) => projection.eventTypes.has(e.type));
  // The usual case first: the stored checkpoint is where the batch was read from. Moving it on in one
  // statement also locks the row until the transaction ends, as the fence below would. Nothing to
  // apply (the read passed over other types only): that statement alone, no transaction around it.
  if (relevant.length === 0 && (await moveCheckpoint(db, projection.name, after, to))) return {};
  if (relevant.length > 0 && (await appliedInOneExchange(db, projection, relevant, after, to))) return {};
  return db.transaction(async (tx) => {
    if (relevant.length > 0 && (await moveCheckpoint(tx, projection.name, after, to))) {
      await projection.apply(tx, relevant);
      return {};
    }
    const stored = await lockCheckpoint(tx, projection.name);
    const order = compareCheckpoints(stored, after);
    if (order < 0) return { resumeFrom: stored };
    if (compareCheckpoints(stored, to) >= 0) return {};
    const fresh =
      order === 0 ? relevant : relevant.filter((e) => compareCheckpoints(e.checkpoint, stored) > 0);
    if (fresh.length > 0) await projection.apply(tx, fresh);
    await saveCheckpoint(tx, projection.name, to);
    return {};
  });
}

/**
 * A batch of a `readsThenWrites` projection where the database takes a pipeline: its reads run at
 * once, its writes go after the fenced checkpoint move in one exchange. False, having written nothing,
 * where there is no pipeline or the checkpoint is not at `after` (the transaction then decides).
 */
async function appliedInOneExchange(
  db: SqlClient,
  projection: SqlProjection,
  events: readonly RecordedEvent[],
  after: Checkpoint,
  to: Checkpoint,
): Promise<boolean> {
  const { readsThenWrites } = projection;
  if (!db.pipeline || !(typeof readsThenWrites === 'function' ? readsThenWrites(events) : readsThenWrites))
    return false;
  const writes: SqlStatement[] = [];
  const reading: SqlTransaction = {
    query: async <Row extends SqlRow>(sql: string, params: readonly unknown[] = []): Promise<Row[]> => {
      if (READ.test(sql)) {
        if (writes.length > 0) throw new Error(`${projection.name}: a read after a write`);
        return db.query<Row>(sql, params);
      }
      writes.push({ sql, params });
      return [];
    },
    exec: () => Promise.reject(new Error(`${projection.name}: exec in a batch`)),
  };
  await projection.apply(reading, events);
  try {
    await db.pipeline([fencedMove(projection.name, after, to), ...writes]);
    return true;
  } catch (error) {
    // The checkpoint was not where the batch was read from (or a statement divided by zero: the
    // transaction meets that error again): nothing was written.
    if (sqlState(error) !== FENCE_MISSED) throw error;
    return false;
  }
}

/** Applies one batch to an external store, then moves the checkpoint (at least once, idempotent writes). */
export async function applyExternalBatch(
  db: SqlClient,
  projection: ExternalProjection,
  events: readonly RecordedEvent[],
  to: Checkpoint | undefined = events.at(-1)?.checkpoint,
) {
  if (!to) return;
  const relevant = events.filter((e) => projection.eventTypes.has(e.type));
  if (relevant.length > 0) await projection.apply(relevant);
  await saveCheckpoint(db, projection.name, to);
}

export type ProjectionOptions = Readonly<{
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** Called after each applied batch with its events (for lag metrics and tests). */
  onApplied?: (events: readonly RecordedEvent[]) => void;
}>;

/**
 * Follows the global log from the projection's checkpoint: catch-up, then live. Each batch is fenced
 * by the stored checkpoint (see `applyFencedBatch`), so a rebuild can swap the rows and the checkpoint
 * underneath, and two workers running the same projection never apply an event twice.
 */
export async function runSqlProjection(
  store: EventStore,
  db: SqlClient,
  projection: SqlProjection,
  options: ProjectionOptions = {},
): Promise<Subscription> {
  db = inBackground(db); // nobody waits on a projection's bookkeeping
  await ensureCheckpointRow(db, projection.name);
  return follow(
    store,
    db,
    projection,
    (events, after, to) => applyFencedBatch(db, projection, events, after, to),
    options,
  );
}

/** The same for a projection into Redis or Elasticsearch; its checkpoint is kept in `db`. */
export async function runExternalProjection(
  store: EventStore,
  db: SqlClient,
  projection: ExternalProjection,
  options: ProjectionOptions = {},
): Promise<Subscription> {
  db = inBackground(db); // nobody waits on a projection's bookkeeping
  return follow(
    store,
    db,
    projection,
    async (events, _after, to) => {
      await applyExternalBatch(db, projection, events, to);
      return {};
    },
    options,
  );
}

/**
 * How long a subscriber whose reads passed over other types' events only waits before it stores where
 * it got to (well under PROJECTION_LAG_BOUND_MS: the lag counts every event after the stored checkpoint).
 */
const PASSED_OVER_SAVE_MS = 250;

/**
 * Subscribes from the stored checkpoint, and subscribes again from wherever a batch says to resume.
 * Only the projection's event types are read. A read that passed over other types only moves the
 * stored checkpoint on too (so lag and /ready see the projection up to date), but a moment later,
 * with the next batch or alone: a statement per read was most of what a busy process sent the
 * database (docs/decisions/0028).
 */
async function follow(
  store: EventStore,
  db: SqlClient,
  projection: Pick<SqlProjection, 'name' | 'eventTypes' | 'afterCommit' | 'follow'>,
  apply: (
    events: readonly RecordedEvent[],
    after: Checkpoint,
    to: Checkpoint,
  ) => Promise<{ resumeFrom?: Checkpoint }>,
  options: ProjectionOptions,
): Promise<Subscription> {
  const { name } = projection;
  const types = [...projection.eventTypes];
  /** The stored checkpoint as this subscriber left it: its next batch is fenced by it. */
  let stored = await loadCheckpoint(db, name);
  /** How far it has read: past `stored` by other types' events only, until it saves. */
  let after = stored;
  let stopped = false;
  let current: Subscription;
  let restarting: Promise<void> = Promise.resolve();
  /** A save of a passed-over stretch, due soon. */
  let due: NodeJS.Timeout | undefined;
  /** Saves go one at a time (the subscription's batches, and a due save between them). */
  let saving: Promise<unknown> = Promise.resolve();

  /** Applies the events (if any) and stores `to`; false when the subscription starts again elsewhere. */
  const save = (events: readonly RecordedEvent[], to: Checkpoint): Promise<boolean> => {
    clearTimeout(due);
    due = undefined;
    const saved = saving.then(async () => {
      if (stopped || compareCheckpoints(to, stored) <= 0) return true;
      const { resumeFrom } = await apply(events, stored, to);
      if (resumeFrom) {
        // Stopping from inside the subscription: its loop ends as soon as this returns.
        const replaced = current;
        restarting = replaced.stop().then(() => {
          if (!stopped) start(resumeFrom);
        });
        return false;
      }
      stored = to;
      return true;
    });
    saving = saved.catch(() => undefined);
    return saved;
  };
  const start = (from: Checkpoint) => {
    stored = after = from;
    current = store.subscribe(
      async (events, next) => {
        if (events.length === 0) {
          after = next;
          due ??= setTimeout(
            () => void save([], after).catch((error: unknown) => options.onError?.(error)),
            PASSED_OVER_SAVE_MS,
          );
          return;
        }
        if (!(await save(events, next))) return;
        after = next;
        options.onApplied?.(events);
        projection.afterCommit?.(events);
      },
      {
        ...projection.follow,
        after: from,
        batchSize: options.batchSize ?? 500,
        types,
        onError: options.onError,
      },
    );
  };
  start(after);
  return {
    get checkpoint() {
      return after;
    },
    async stop() {
      stopped = true;
      clearTimeout(due);
      await restarting;
      await current.stop();
      await saving;
    },
  };
}
