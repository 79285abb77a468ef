import { randomBytes } from 'node:crypto';
import { sqlState, type SqlClient, type SqlTransaction } from '../db/sql-client.ts';
import type { Checkpoint, RecordedEvent } from '../eventstore/event-store.ts';
import { toRecordedEvent, type EventRow } from '../eventstore/sql-event-store.ts';
import { LOG_START } from '../eventstore/event-store.ts';
import { compareCheckpoints, ensureCheckpointRow, lockCheckpoint } from './checkpoints.ts';
import type { SqlProjection } from './follow.ts';

/** How far a rebuild has read the log: events read so far and the global position of the last one. */
export type RebuildProgress = Readonly<{ events: number; position: number }>;

export type RebuildResult = Readonly<{ events: number; checkpoint: Checkpoint; seconds: number }>;

export class RebuildRefused extends Error {
  override name = 'RebuildRefused';
}

export type SqlRebuildOptions = Readonly<{
  /** Events read per query; the projection applies each read batch in one transaction. */
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
  /** How long the swap may wait for a table lock held by a reader before it gives up. */
  lockTimeoutMs?: number;
  /** Runs after the replay, before the swap: tests append events here that the live projection applies first. */
  beforeSwap?: (replayedTo: Checkpoint) => Promise<void>;
}>;

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** Rebuild schemas whose heartbeat is older than this belong to a process that died mid-rebuild. */
const ABANDONED_AFTER_MS = 10 * 60_000;

type TablePlan = {
  table: string;
  /** The schema of the live table (normally `public`). */
  schema: string;
  /** Primary key, unique and exclusion constraints, added before the replay (upserts need them). */
  constraints: { name: string; definition: string }[];
  /** Every other index, created once the rows are in (faster than keeping it up to date row by row). */
  indexes: string[];
};

/**
 * Build beside and swap. The projection replays the whole log into copies of its tables in a schema
 * of their own: its `apply` runs with `search_path` set to that schema only, so the unqualified table
 * names it writes resolve to the copies (and a table it writes that was not copied is an error, never
 * the live table). Meanwhile the live tables keep serving and the live projection keeps following.
 * Then, in one transaction holding the projection's checkpoint row (which every live batch locks
 * first, in any process), the live tables are dropped, the copies moved in under the same names, and
 * the checkpoint set to where the replay ended. A live projection that had gone further finds the
 * stored checkpoint behind it and re-applies from there onto the new tables: nothing twice, nothing
 * missed (see `applyFencedBatch`).
 */
export async function rebuildSqlProjection(
  db: SqlClient,
  projection: SqlProjection,
  options: SqlRebuildOptions = {},
): Promise<RebuildResult> {
  if ('refused' in projection.rebuild)
    throw new RebuildRefused(`${projection.name} may not be rebuilt: ${projection.rebuild.refused}`);
  const { tables } = projection.rebuild;
  const started = performance.now();
  const batchSize = options.batchSize ?? 10_000;
  const prefix = `rebuild_${projection.name.replace(/\W/g, '_')}_`;
  await dropAbandoned(db, prefix);
  const shadow = `${prefix}${randomBytes(4).toString('hex')}`;
  const plans = await Promise.all(tables.map((table) => planTable(db, table)));
  await db.exec(
    `CREATE SCHEMA ${quote(shadow)}; COMMENT ON SCHEMA ${quote(shadow)} IS '${new Date().toISOString()}'`,
  );
  try {
    for (const plan of plans) await createCopy(db, shadow, plan);
    const { events, checkpoint } = await replay(db, projection, shadow, batchSize, options.onProgress);
    for (const plan of plans) {
      for (const index of plan.indexes) await db.exec(retarget(index, plan, shadow));
      // Statistics now, so the first queries after the swap are planned for the rows that are there.
      await db.exec(`ANALYZE ${quote(shadow)}.${quote(plan.table)}`);
    }
    await options.beforeSwap?.(checkpoint);
    for (let attempt = 1; ; attempt++) {
      try {
        await swapIn(db, projection.name, plans, shadow, checkpoint, options.lockTimeoutMs ?? 30_000);
        break;
      } catch (error) {
        // A reader held a table longer than the lock timeout: the copies are still good, try again.
        if (sqlState(error) !== '55P03' || attempt >= 3) throw error;
      }
    }
    return { events, checkpoint, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await db.exec(`DROP SCHEMA IF EXISTS ${quote(shadow)} CASCADE`).catch(() => undefined);
    throw error;
  }
}

/**
 * One transaction: waits for the live projection's batch in flight (in any process) by locking its
 * checkpoint row, replaces the live tables with the copies, and moves the checkpoint to the replay's end.
 */
const swapIn = (
  db: SqlClient,
  name: string,
  plans: readonly TablePlan[],
  shadow: string,
  checkpoint: Checkpoint,
  lockTimeoutMs: number,
) =>
  db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)}`);
    await ensureCheckpointRow(tx, name);
    await lockCheckpoint(tx, name);
    for (const plan of plans) {
      await tx.exec(`DROP TABLE ${quote(plan.schema)}.${quote(plan.table)}`);
      await tx.exec(`ALTER TABLE ${quote(shadow)}.${quote(plan.table)} SET SCHEMA ${quote(plan.schema)}`);
    }
    await tx.query(
      `UPDATE projection_checkpoints SET transaction_id = $2::xid8, global_position = $3, updated_at = now()
        WHERE projection = $1`,
      [name, checkpoint.transactionId, checkpoint.globalPosition],
    );
    await tx.exec(`DROP SCHEMA ${quote(shadow)}`);
  });

/**
 * Reads the log from the start in large batches, the next read overlapping the current batch's
 * writes, until a read comes back short: the replay is then as close to the head as it gets, and
 * the live projection takes over from where it ended.
 */
async function replay(
  db: SqlClient,
  projection: SqlProjection,
  shadow: string,
  batchSize: number,
  onProgress: SqlRebuildOptions['onProgress'],
) {
  // The replay stops at the head of the log as it was when it started, or earlier at a short read:
  // under a steady stream of appends it would otherwise chase the head; the live projection goes on from there.
  const head = await highestPosition(db);
  let checkpoint: Checkpoint = LOG_START;
  let events = 0;
  let heartbeat = Date.now();
  const types = [...projection.eventTypes];
  let next = readRelevant(db, checkpoint, batchSize, types);
  for (;;) {
    const batch = await next;
    if (batch.scanned === 0) break;
    const short = batch.scanned < batchSize || batch.next.globalPosition >= head;
    if (!short) {
      next = readRelevant(db, batch.next, batchSize, types);
      next.catch(() => undefined); // awaited on the next turn; until then its failure is not unhandled
    }
    if (batch.events.length > 0) await applyToCopy(db, projection, shadow, batch.events);
    checkpoint = batch.next;
    events += batch.scanned;
    onProgress?.({ events, position: checkpoint.globalPosition });
    if (Date.now() - heartbeat > 5_000) {
      heartbeat = Date.now();
      await db.exec(`COMMENT ON SCHEMA ${quote(shadow)} IS '${new Date().toISOString()}'`);
    }
    if (short) break;
    // PGlite answers within microtasks: without a turn of the event loop here, a rebuild on the
    // embedded profile would keep HTTP requests and timers waiting until it ended.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { events, checkpoint };
}

/**
 * The next `limit` events of the log after `after` (as `readAll` orders and bounds them), of which
 * only those of the projection's types are sent over: most of the log is other aggregates' events,
 * and decoding them is what a replay would otherwise spend its time on.
 */
async function readRelevant(db: SqlClient, after: Checkpoint, limit: number, types: readonly string[]) {
  // Every scanned event comes back, but the payload only for the relevant ones. No sort outside the
  // index scan: PGlite sorts xid8 values as text ('1000' before '999') when it sorts them itself.
  const rows = await db.query<
    Omit<EventRow, 'data' | 'metadata'> & {
      data: unknown;
      metadata: EventRow['metadata'] | null;
      relevant: boolean;
    }
  >(
    `SELECT global_position, transaction_id::text AS transaction_text, stream_id, stream_version,
            event_id::text AS event_id, type, schema_version, recorded_at, prev_hash, hash, relevant,
            CASE WHEN relevant THEN data END AS data, CASE WHEN relevant THEN metadata END AS metadata
       FROM (SELECT *, type = ANY($4::text[]) AS relevant FROM es_events
              WHERE (transaction_id, global_position) > ($1::xid8, $2)
                AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY transaction_id, global_position LIMIT $3) AS page`,
    [after.transactionId, after.globalPosition, limit, types],
  );
  let previous = after;
  for (const row of rows) {
    const at = { transactionId: row.transaction_text, globalPosition: Number(row.global_position) };
    if (compareCheckpoints(at, previous) <= 0)
      throw new Error(
        `the log came back out of order: ${JSON.stringify(at)} after ${JSON.stringify(previous)}`,
      );
    previous = at;
  }
  return {
    events: rows.filter((r) => r.relevant).map((r) => toRecordedEvent(r as EventRow)),
    scanned: rows.length,
    next: previous,
  };
}

/**
 * The highest global position in the log now. Only a bound on the replay's work: wherever the replay
 * stops, the live projection goes on from there. (Not the last event in log order: PGlite sorts
 * xid8 wrongly in descending order.)
 */
async function highestPosition(db: SqlClient): Promise<number> {
  const [row] = await db.query<{ position: string | number | null }>(
    `SELECT max(global_position) AS position FROM es_events`,
  );
  return Number(row?.position ?? 0);
}

const applyToCopy = (
  db: SqlClient,
  projection: SqlProjection,
  shadow: string,
  events: readonly RecordedEvent[],
) =>
  db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL search_path TO ${quote(shadow)}`);
    await projection.apply(tx, events);
  });

async function planTable(db: SqlClient, table: string): Promise<TablePlan> {
  const [found] = await db.query<{ schema: string; triggers: string | number }>(
    `SELECT n.nspname AS schema,
            (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) AS triggers
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1) AND c.relkind = 'r'`,
    [table],
  );
  if (!found) throw new RebuildRefused(`table ${table} does not exist`);
  if (Number(found.triggers) > 0)
    throw new RebuildRefused(`table ${table} has triggers, which a rebuild would not carry over`);
  const qualified = `${quote(found.schema)}.${quote(table)}`;
  const constraints = await db.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname`,
    [qualified],
  );
  const indexes = await db.query<{ definition: string }>(
    `SELECT pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i
      WHERE i.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
      ORDER BY i.indexrelid`,
    [qualified],
  );
  return { table, schema: found.schema, constraints, indexes: indexes.map((i) => i.definition) };
}

async function createCopy(db: SqlClient, shadow: string, plan: TablePlan) {
  const copy = `${quote(shadow)}.${quote(plan.table)}`;
  await db.exec(
    `CREATE TABLE ${copy} (LIKE ${quote(plan.schema)}.${quote(plan.table)} INCLUDING ALL EXCLUDING INDEXES)`,
  );
  // Index and constraint names are per schema: the copies keep the names the migrations gave.
  for (const constraint of plan.constraints)
    await db.exec(`ALTER TABLE ${copy} ADD CONSTRAINT ${quote(constraint.name)} ${constraint.definition}`);
}

/** An index definition of the live table, made to create the same index on the copy. */
function retarget(definition: string, plan: TablePlan, shadow: string): string {
  const on = new RegExp(
    ` ON (ONLY )?(${plan.schema}|${quote(plan.schema)})\\.(${plan.table}|${quote(plan.table)}) USING `,
  );
  if (!on.test(definition)) throw new Error(`cannot read the index definition: ${definition}`);
  return definition.replace(on, ` ON $1${quote(shadow)}.${quote(plan.table)} USING `);
}

/** Drops the schemas of rebuilds whose process stopped beating a while ago. */
async function dropAbandoned(db: SqlClient | SqlTransaction, prefix: string) {
  const schemas = await db.query<{ name: string; beat: string | null }>(
    `SELECT nspname AS name, obj_description(oid, 'pg_namespace') AS beat FROM pg_namespace
      WHERE starts_with(nspname, $1)`,
    [prefix],
  );
  const ours = new RegExp(`^${prefix}[0-9a-f]{8}$`); // not another projection's whose name starts alike
  for (const { name, beat } of schemas.filter((s) => ours.test(s.name))) {
    const last = beat ? Date.parse(beat) : NaN;
    if (Number.isNaN(last) || Date.now() - last > ABANDONED_AFTER_MS)
      await db.exec(`DROP SCHEMA IF EXISTS ${quote(name)} CASCADE`);
  }
}
