import type { Client } from '@elastic/elasticsearch';
import type { SqlClient } from '../../db/sql-client.ts';
import { LOG_START, type Checkpoint, type EventStore } from '../../eventstore/event-store.ts';
import {
  catalogAlias,
  createCatalogIndex,
  indexBehind,
  isNotFound,
  newCatalogIndexName,
} from './catalog-index.ts';
import { CATALOG_SEARCH_PROJECTION, catalogDocumentWriter } from './projection.ts';
import { PRODUCT_EVENT_TYPES, INVENTORY_EVENT_TYPES } from '../../domain/event-types.ts';
import { EVERY_ANSWER } from '../../cache/listing-answers.ts';
import type { ListingInvalidation } from '../listing-pages.ts';

export type RebuildProgress = Readonly<{ events: number; position: number }>;

type Dependencies = Readonly<{
  client: Client;
  store: EventStore;
  db: SqlClient;
  prefix: string;
  /** Kept listing answers: every one is dropped once the new index serves, and again once it caught up. */
  invalidation?: ListingInvalidation;
}>;

const relevant: ReadonlySet<string> = new Set([...PRODUCT_EVENT_TYPES, ...INVENTORY_EVENT_TYPES]);

/**
 * Makes sure the search alias exists, creating its first index when it does not. A new index is
 * empty, so the live projection's checkpoint is reset with it: it fills the index from the start of
 * the log (this also heals a search cluster whose data was lost). An advisory lock makes processes
 * starting together create one index, not one each.
 */
export async function ensureCatalogIndex({ client, db, prefix }: Omit<Dependencies, 'store'>) {
  const alias = catalogAlias(prefix);
  if (await indexBehind(client, alias)) return;
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`search:${alias}`]);
    if (await indexBehind(client, alias)) return;
    await createCatalogIndex(client, newCatalogIndexName(prefix), { alias });
    await tx.query(`DELETE FROM projection_checkpoints WHERE projection = $1`, [CATALOG_SEARCH_PROJECTION]);
  });
}

/** Moves the live projection's checkpoint forward to `to`, never back. */
const advanceCheckpoint = (db: SqlClient, to: Checkpoint) =>
  db.query(
    `INSERT INTO projection_checkpoints AS c (projection, transaction_id, global_position, updated_at)
     VALUES ($1, $2::xid8, $3, now())
     ON CONFLICT (projection) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
       WHERE (c.transaction_id, c.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`,
    [CATALOG_SEARCH_PROJECTION, to.transactionId, to.globalPosition],
  );

/**
 * Rebuilds the search index from position 0 of the log while the current one keeps serving:
 *  1. replay the whole log into a new index (not refreshed meanwhile) until a read comes back short;
 *  2. refresh it and move the alias to it in one atomic `updateAliases` (remove old, add new; the
 *     remove must find the old index, so two rebuilds racing cannot both swap);
 *  3. replay again from where step 1 ended into the new index: what the live projection wrote into the
 *     old index during step 1 lands in the new one too (the writer skips what it already holds, and a
 *     live batch that wrote to the old index after the swap fails its alias check and is applied again);
 *  4. delete the old index, and move the live projection's checkpoint up to the end of the replay.
 */
export async function rebuildCatalogSearch(
  deps: Dependencies,
  onProgress?: (progress: RebuildProgress) => void,
  options: { batchSize?: number } = {},
): Promise<{ events: number; index: string; checkpoint: Checkpoint }> {
  const { client, store, db, prefix } = deps;
  const alias = catalogAlias(prefix);
  const batchSize = options.batchSize ?? 5_000;
  const index = newCatalogIndexName(prefix);
  await createCatalogIndex(client, index, { replaying: true });
  let events = 0;
  /** Reads the log after `from` into the new index until a short read; returns where it ended. */
  const replay = async (from: Checkpoint, refresh: boolean): Promise<Checkpoint> => {
    const writer = catalogDocumentWriter({ client, store, refresh, target: async () => index });
    let checkpoint = from;
    for (;;) {
      const batch = await store.readAll({ after: checkpoint, maxCount: batchSize });
      if (batch.events.length === 0) return checkpoint;
      const wanted = batch.events.filter((e) => relevant.has(e.type));
      if (wanted.length > 0) await writer.write(wanted);
      checkpoint = batch.next;
      events += batch.events.length;
      onProgress?.({ events, position: checkpoint.globalPosition });
      if (batch.events.length < batchSize) return checkpoint;
    }
  };
  try {
    const replayed = await replay(LOG_START, false);
    await client.indices.putSettings({ index, settings: { refresh_interval: '1s' } });
    await client.indices.refresh({ index });
    const old = await indexBehind(client, alias);
    await client.indices.updateAliases({
      actions: [
        ...(old ? [{ remove: { index: old, alias, must_exist: true } }] : []),
        { add: { index, alias } },
      ],
    });
    await deps.invalidation?.invalidate([EVERY_ANSWER]);
    const end = await replay(replayed, true);
    await deps.invalidation?.invalidate([EVERY_ANSWER]);
    if (old)
      await client.indices.delete({ index: old }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    await advanceCheckpoint(db, end);
    return { events, index, checkpoint: end };
  } catch (error) {
    // Unless the alias already points to it, the half-built index goes (the old one still serves).
    if ((await indexBehind(client, alias).catch(() => undefined)) !== index)
      await client.indices.delete({ index }).catch(() => undefined);
    throw error;
  }
}

/** The rebuild in the shape the projection operations (and the replay CLI) call. */
export const catalogSearchRebuild = (deps: Dependencies) => ({
  name: CATALOG_SEARCH_PROJECTION,
  rebuild: (onProgress?: (progress: RebuildProgress) => void) => rebuildCatalogSearch(deps, onProgress),
});
