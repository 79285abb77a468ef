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

/** Applies one batch and moves the checkpoint in the same transaction: all or nothing. */
export async function applyBatch(db: SqlClient, projection: SqlProjection, events: readonly RecordedEvent[]) {
  const last = events.at(-1);
  if (!last) return;
  const relevant = events.filter((e) => projection.eventTypes.has(e.type));
  await db.transaction(async (tx) => {
    if (relevant.length > 0) await projection.apply(tx, relevant);
    await tx.query(
      `INSERT INTO projection_checkpoints (projection, transaction_id, global_position, updated_at)
       VALUES ($1, $2::xid8, $3, now())
       ON CONFLICT (projection) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
      [projection.name, last.checkpoint.transactionId, last.checkpoint.globalPosition],
    );
  });
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
  const after = await loadCheckpoint(db, projection.name);
  return store.subscribe(
    async (events) => {
      await applyBatch(db, projection, events);
      options.onApplied?.(events.at(-1)!);
    },
    { after, batchSize: options.batchSize ?? 500, onError: options.onError },
  );
}
