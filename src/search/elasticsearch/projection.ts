import type { Client } from '@elastic/elasticsearch';
import type { EventStore, RecordedEvent } from '../../eventstore/event-store.ts';
import type { ExternalProjection } from '../../subscriptions/index.ts';
import {
  CATALOG_EVENT_TYPES,
  emptyDocument,
  evolveDocument as evolve,
  PRODUCT_TYPES as productTypes,
  type CatalogDocument,
  type CatalogEvent,
} from '../catalog-document.ts';
import { changeTags, redeliveredTags, type ListingInvalidation } from '../listing-pages.ts';
import { indexBehind } from './catalog-index.ts';

export const CATALOG_SEARCH_PROJECTION = 'catalog-search';

type Stored = { doc: CatalogDocument; seqNo?: number; primaryTerm?: number };

export type DocumentWriterOptions = Readonly<{
  client: Client;
  store: EventStore;
  /** The index to write to: fixed during a rebuild's replay, the alias's current index when live. */
  target: () => Promise<string>;
  /** Make the writes visible to searches before returning (live), or leave it to the index (replay). */
  refresh: boolean;
}>;

/**
 * Writes events into catalog documents, idempotently and in any company.
 *
 * Each document records how many events of its product stream and of its inventory stream it holds
 * (`productRevision`, `stockRevision`). Without scripts (this distribution has no painless) the fold
 * happens here: read the documents, apply only events newer than their revisions, and write each back
 * with `if_seq_no`/`if_primary_term` (`create` for a new one). So
 *  - a batch delivered again after a crash finds its events already counted and writes nothing;
 *  - a document that missed events (a rebuild swapped in an index the live projection had not written
 *    to yet) gets the missing ones read from their stream before the new one is applied: every document
 *    is always exactly the first n events of its streams;
 *  - two writers on one document (the live projection and a rebuild catching up) cannot overwrite each
 *    other: the loser's write is refused as a conflict, and it reads the document again and re-applies.
 */
export function catalogDocumentWriter(options: DocumentWriterOptions) {
  const { client, store } = options;

  async function read(index: string, skus: readonly string[]): Promise<Map<string, Stored>> {
    const { docs } = await client.mget<CatalogDocument>({ index, ids: [...skus], realtime: true });
    const stored = new Map<string, Stored>();
    for (const found of docs) {
      if ('error' in found)
        throw new Error(`reading ${found._id} from ${index}: ${JSON.stringify(found.error)}`);
      if (found.found && found._source)
        stored.set(found._id, { doc: found._source, seqNo: found._seq_no, primaryTerm: found._primary_term });
    }
    return stored;
  }

  /** The events of one stream between the document's revision and the batch's first one. */
  const missing = (streamId: string, revision: number, next: number) =>
    store.readStream(streamId, { fromVersion: revision + 1, maxCount: next - revision - 1 }) as Promise<
      CatalogEvent[]
    >;

  async function fold(doc: CatalogDocument, events: readonly CatalogEvent[]): Promise<CatalogDocument> {
    for (const event of events) {
      const isProduct = productTypes.has(event.type);
      const revision = isProduct ? doc.productRevision : doc.stockRevision;
      if (event.streamVersion <= revision) continue; // already in the document
      if (event.streamVersion > revision + 1)
        for (const earlier of await missing(event.streamId, revision, event.streamVersion))
          doc = evolve(doc, earlier);
      doc = evolve(doc, event);
    }
    return doc;
  }

  /**
   * Applies events (in log order) to their SKUs' documents; resolves once every write is in, with the
   * listing tags the writes changed (see changeTags; a document found already holding its events
   * gives redeliveredTags).
   */
  async function write(events: readonly RecordedEvent[]): Promise<{ written: number; tags: string[] }> {
    const bySku = new Map<string, CatalogEvent[]>();
    for (const event of events as readonly CatalogEvent[]) {
      const group = bySku.get(event.data.sku);
      if (group) group.push(event);
      else bySku.set(event.data.sku, [event]);
    }
    const index = await options.target();
    let pending = [...bySku.keys()];
    let written = 0;
    const tags = new Set<string>();
    const changes = new Map<string, readonly string[]>();
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`catalog documents kept changing underneath: ${pending.join(', ')}`);
      const stored = await read(index, pending);
      const operations: unknown[] = [];
      const skus: string[] = [];
      for (const sku of pending) {
        const before = stored.get(sku);
        const doc = await fold(before?.doc ?? emptyDocument(sku), bySku.get(sku)!);
        const unchanged =
          before &&
          doc.productRevision === before.doc.productRevision &&
          doc.stockRevision === before.doc.stockRevision;
        if (unchanged) {
          const products = bySku.get(sku)!.some((event) => productTypes.has(event.type));
          for (const tag of redeliveredTags(doc, products)) tags.add(tag);
          continue;
        }
        changes.set(sku, changeTags(before?.doc, doc));
        skus.push(sku);
        operations.push(
          before
            ? {
                index: {
                  _index: index,
                  _id: sku,
                  if_seq_no: before.seqNo,
                  if_primary_term: before.primaryTerm,
                },
              }
            : { create: { _index: index, _id: sku } },
          doc,
        );
      }
      if (operations.length === 0) break;
      const result = await client.bulk({ operations, refresh: options.refresh });
      const conflicts: string[] = [];
      result.items.forEach((item, i) => {
        const outcome = Object.values(item)[0]!;
        if (outcome.status === 409) conflicts.push(skus[i]!);
        else if (outcome.error)
          throw new Error(`writing ${skus[i]} to ${index}: ${outcome.error.type}: ${outcome.error.reason}`);
        else {
          written++;
          for (const tag of changes.get(skus[i]!)!) tags.add(tag);
        }
      });
      pending = conflicts;
    }
    return { written, tags: [...tags] };
  }

  return { write };
}

/**
 * The live projection into the search index. The checkpoint is saved in SQL after the writes, so a
 * crash in between re-delivers the batch, which the writer then finds already applied (see above).
 * It writes to the index behind the alias, and checks after writing that the alias still points there:
 * had a rebuild moved it meanwhile, the batch fails and is delivered again, onto the new index. Once
 * the writes are visible to searches (refreshed), the listing answers they change are invalidated;
 * should that fail, the batch is delivered again and invalidates what redeliveredTags says.
 */
export function catalogSearchProjection(deps: {
  client: Client;
  store: EventStore;
  alias: string;
  invalidation?: ListingInvalidation;
}): ExternalProjection {
  const { client, alias } = deps;
  const resolve = async () => {
    const index = await indexBehind(client, alias);
    if (!index) throw new Error(`the search alias ${alias} does not exist`);
    return index;
  };
  let target = '';
  const writer = catalogDocumentWriter({
    client,
    store: deps.store,
    refresh: true,
    target: async () => (target = await resolve()),
  });
  return {
    name: CATALOG_SEARCH_PROJECTION,
    eventTypes: CATALOG_EVENT_TYPES,
    async apply(events) {
      const { tags } = await writer.write(events);
      const now = await resolve();
      if (now !== target)
        throw new SearchAliasMoved(`${alias} moved from ${target} to ${now} during a batch`);
      if (tags.length > 0) await deps.invalidation?.invalidate(tags);
    },
  };
}

/** The batch is delivered again and applied onto the index the alias points to now. */
export class SearchAliasMoved extends Error {
  override name = 'SearchAliasMoved';
}
