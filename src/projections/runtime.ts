import type { SqlClient, SqlTransaction } from '../db/sql-client.ts';
import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../eventstore/event-store.ts';
import { LOG_START } from '../eventstore/event-store.ts';

/** A read model kept in the same SQL database as the events. */
export type SqlProjection = Readonly<{
  name: string;
  /** The event types it reads; others only move its checkpoint. */
  eventTypes: ReadonlySet<string>;
  apply(tx: SqlTransaction, events: readonly RecordedEvent[]): Promise<void>;
}>;

export async function loadCheckpoint(
  db: SqlClient | SqlTransaction,
  projection: string,
): Promise<Checkpoint> {
  const [row] = await db.query<{ transaction_id: string; global_position: string | number }>(
    `SELECT transaction_id::text AS transaction_id, global_position FROM projection_checkpoints WHERE projection = $1`,
    [projection],
  );
  return row ? { transactionId: row.transaction_id, globalPosition: Number(row.global_position) } : LOG_START;
}

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

const saveCheckpoint = (db: SqlClient | SqlTransaction, projection: string, at: Checkpoint) =>
  db.query(
    `INSERT INTO projection_checkpoints (projection, transaction_id, global_position, updated_at)
     VALUES ($1, $2::xid8, $3, now())
     ON CONFLICT (projection) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
    [projection, at.transactionId, at.globalPosition],
  );

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

/** Applies one batch to an external store, then moves the checkpoint (at least once, idempotent writes). */
export async function applyExternalBatch(
  db: SqlClient,
  projection: ExternalProjection,
  events: readonly RecordedEvent[],
) {
  const last = events.at(-1);
  if (!last) return;
  const relevant = events.filter((e) => projection.eventTypes.has(e.type));
  if (relevant.length > 0) await projection.apply(relevant);
  await saveCheckpoint(db, projection.name, last.checkpoint);
}

export type ProjectionOptions = Readonly<{
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** Called after each applied batch with its last event (for lag metrics and tests). */
  onApplied?: (last: RecordedEvent) => void;
}>;

/** Follows the global log from the projection's checkpoint: catch-up, then live. */
export async function runSqlProjection(
  store: EventStore,
  db: SqlClient,
  projection: SqlProjection,
  options: ProjectionOptions = {},
): Promise<Subscription> {
  return follow(store, db, projection.name, (events) => applyBatch(db, projection, events), options);
}

/** The same for a projection into Redis or Elasticsearch; its checkpoint is kept in `db`. */
export async function runExternalProjection(
  store: EventStore,
  db: SqlClient,
  projection: ExternalProjection,
  options: ProjectionOptions = {},
): Promise<Subscription> {
  return follow(store, db, projection.name, (events) => applyExternalBatch(db, projection, events), options);
}

async function follow(
  store: EventStore,
  db: SqlClient,
  name: string,
  apply: (events: readonly RecordedEvent[]) => Promise<void>,
  options: ProjectionOptions,
): Promise<Subscription> {
  const after = await loadCheckpoint(db, name);
  return store.subscribe(
    async (events) => {
      await apply(events);
      options.onApplied?.(events.at(-1)!);
    },
    { after, batchSize: options.batchSize ?? 500, onError: options.onError },
  );
}
