import { BY_KEY, type SqlClient, type SqlStatement, type SqlTransaction } from '../db/sql-client.ts';
import type { Checkpoint } from '../eventstore/event-store.ts';
import { LOG_START } from '../eventstore/event-store.ts';

export { compareCheckpoints } from '../eventstore/event-store.ts';

// Where each subscriber of the log has got to: one row per subscriber in projection_checkpoints.

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

export const saveCheckpoint = (db: SqlClient | SqlTransaction, projection: string, at: Checkpoint) =>
  db.query(
    `INSERT INTO projection_checkpoints (projection, transaction_id, global_position, updated_at)
     VALUES ($1, $2::xid8, $3, now())
     ON CONFLICT (projection) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
    [projection, at.transactionId, at.globalPosition],
  );

/** Makes sure the projection has a checkpoint row, so that its appliers and a rebuild can lock it. */
export const ensureCheckpointRow = (db: SqlClient | SqlTransaction, projection: string) =>
  db.query(
    `INSERT INTO projection_checkpoints (projection, transaction_id, global_position) VALUES ($1, '0'::xid8, 0)
     ON CONFLICT (projection) DO NOTHING`,
    [projection],
  );

/** Locks the projection's checkpoint row until the transaction ends: its appliers and a rebuild's swap take turns. */
export async function lockCheckpoint(tx: SqlTransaction, projection: string): Promise<Checkpoint> {
  const [row] = await tx.query<{ transaction_id: string; global_position: string | number }>(
    `SELECT transaction_id::text AS transaction_id, global_position FROM projection_checkpoints
      WHERE projection = $1 FOR UPDATE`,
    [projection],
  );
  return row ? { transactionId: row.transaction_id, globalPosition: Number(row.global_position) } : LOG_START;
}

const MOVE = `UPDATE projection_checkpoints SET transaction_id = $2::xid8, global_position = $3, updated_at = now()
                WHERE projection = $1 AND transaction_id = $4::xid8 AND global_position = $5
               RETURNING projection`;
const moveParams = (projection: string, from: Checkpoint, to: Checkpoint) => [
  projection,
  to.transactionId,
  to.globalPosition,
  from.transactionId,
  from.globalPosition,
];

/** Moves the stored checkpoint from `from` to `to`; false (nothing changed) when it is not at `from`. */
export async function moveCheckpoint(
  db: SqlClient | SqlTransaction,
  projection: string,
  from: Checkpoint,
  to: Checkpoint,
): Promise<boolean> {
  const moved = await db.query(MOVE, moveParams(projection, from, to), BY_KEY);
  return moved.length > 0;
}

/** The error `fencedMove` fails with when the checkpoint is not at `from` (division by zero). */
export const FENCE_MISSED = '22012';

/**
 * `moveCheckpoint` as a statement that fails (FENCE_MISSED) when the checkpoint is not at `from`: the
 * first of a pipeline (`SqlClient.pipeline`), whose other statements then are not run either.
 */
export const fencedMove = (projection: string, from: Checkpoint, to: Checkpoint): SqlStatement => ({
  sql: `WITH moved AS (${MOVE}) SELECT 1 / count(*) FROM moved`,
  params: moveParams(projection, from, to),
});
