import type { SqlClient } from '../../src/db/sql-client.ts';
import type { Checkpoint, EventStore } from '../../src/eventstore/event-store.ts';
import { compareCheckpoints, loadCheckpoint } from '../../src/subscriptions/index.ts';

/**
 * Waits until `projection` has applied the last event of every stream in `streamIds`. Not the last
 * event of the global log: on PostgreSQL a commit shows there only once older transactions, in any
 * database of the server, have ended.
 */
export async function projectionPassed(
  db: SqlClient,
  store: EventStore,
  projection: string,
  streamIds: Iterable<string>,
  timeoutMs = 30_000,
): Promise<Checkpoint> {
  const lasts = (
    await Promise.all(
      [...streamIds].map(
        async (id) => (await store.readStream(id, { direction: 'backward', maxCount: 1 }))[0],
      ),
    )
  ).flatMap((event) => (event ? [event.checkpoint] : []));
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const checkpoint = await loadCheckpoint(db, projection);
    if (lasts.every((last) => compareCheckpoints(checkpoint, last) >= 0)) return checkpoint;
    if (Date.now() > deadline)
      throw new Error(`${projection} is at ${JSON.stringify(checkpoint)}, not past ${JSON.stringify(lasts)}`);
  }
}

/** Every row of a table, in a stable order, with its columns as text (exact comparison). */
export const tableRows = (db: SqlClient, table: string, orderBy: string) =>
  db
    .query(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY ${orderBy}`)
    .then((rows) => rows.map((r) => r.row));

/** A table's index names with their definitions. */
export const indexesOf = (db: SqlClient, table: string) =>
  db
    .query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`,
      [table],
    )
    .then((rows) => rows.map((r) => `${r.name}: ${r.definition}`));

/** Polls `probe` until it returns true (in hooks too, unlike expect.poll). */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}
