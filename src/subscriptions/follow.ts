import { inBackground, type SqlClient, type SqlTransaction } from '../db/sql-client.ts';
import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../eventstore/event-store.ts';
import {
  compareCheckpoints,
  ensureCheckpointRow,
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
 * Subscribes from the stored checkpoint, and subscribes again from wherever a batch says to resume.
 * Only the projection's event types are read; a read that passed over other types only moves the
 * checkpoint on (so lag and /ready see the projection up to date).
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
  let after = await loadCheckpoint(db, name);
  let stopped = false;
  let current: Subscription;
  let restarting: Promise<void> = Promise.resolve();
  const start = (from: Checkpoint) => {
    after = from;
    current = store.subscribe(
      async (events, next) => {
        const { resumeFrom } = await apply(events, after, next);
        if (resumeFrom) {
          // Stopping from inside the handler: the loop ends as soon as this handler returns.
          const replaced = current;
          restarting = replaced.stop().then(() => {
            if (!stopped) start(resumeFrom);
          });
          return;
        }
        after = next;
        if (events.length === 0) return;
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
      await restarting;
      await current.stop();
    },
  };
}
