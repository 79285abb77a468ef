import type { EventStore, RecordedEvent } from '../eventstore/event-store.ts';
import type { ExternalProjection } from '../subscriptions/index.ts';
import { luaScript, redisAnswers, type RedisKeys } from './redis.ts';

/** A stream folded into a view, and the stream version it shows. */
export type Versioned<S> = Readonly<{ state: S; version: number }>;

/**
 * Views of streams, one per stream id, each stored with the version of the stream it shows. A write
 * is kept only if it is newer than what is stored, atomically: the view of a stream at a version is
 * one deterministic fold, so writers that race (a projection, a reader repairing, a re-delivered
 * batch) can only ever move a view forward.
 */
export interface StreamViews<S> {
  read(streamIds: readonly string[]): Promise<(Versioned<S> | undefined)[]>;
  /** True if kept; false if a view at this version or a later one was there already. */
  writeIfNewer(streamId: string, view: Versioned<S>): Promise<boolean>;
}

/** How a view is laid out as the fields of a Redis hash (all but `version`, which is kept beside them). */
export type HashCodec<S> = Readonly<{
  toFields(state: S): Record<string, string>;
  fromFields(fields: Record<string, string>): S;
}>;

const WRITE_IF_NEWER = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 2))
return 1`;

/** One Redis hash per stream, `<prefix><name>:{<stream id>}`, with the view's fields and `version`. */
export function redisStreamViews<S>(
  { redis, prefix }: RedisKeys,
  name: string,
  codec: HashCodec<S>,
): StreamViews<S> {
  const key = (streamId: string) => `${prefix}${name}:{${streamId}}`;
  const writeIfNewer = luaScript(redis, 'write_view_if_newer', 1, WRITE_IF_NEWER);
  return {
    async read(streamIds) {
      if (streamIds.length === 0) return [];
      if (!redisAnswers(redis)) throw new Error(`Redis is not connected (${redis.status})`);
      const pipeline = redis.pipeline();
      for (const id of streamIds) pipeline.hgetall(key(id));
      const answers = (await pipeline.exec()) ?? [];
      return answers.map(([error, fields]) => {
        if (error) throw error;
        const hash = fields as Record<string, string>;
        if (hash.version === undefined) return undefined;
        return { state: codec.fromFields(hash), version: Number(hash.version) };
      });
    },
    async writeIfNewer(streamId, view) {
      const fields = Object.entries(codec.toFields(view.state)).flat();
      return (await writeIfNewer([key(streamId)], [view.version, ...fields])) === 1;
    },
  };
}

/** The same in this process's memory (the embedded profile). */
export function inProcessStreamViews<S>(): StreamViews<S> & { size(): number } {
  const views = new Map<string, Versioned<S>>();
  return {
    async read(streamIds) {
      return streamIds.map((id) => views.get(id));
    },
    async writeIfNewer(streamId, view) {
      if ((views.get(streamId)?.version ?? 0) >= view.version) return false;
      views.set(streamId, view);
      return true;
    },
    size: () => views.size,
  };
}

export type Fold<S> = Readonly<{
  initialState: () => S;
  evolve: (state: S, event: Pick<RecordedEvent, 'type' | 'data'>) => S;
}>;

const foldOnto = <S>(fold: Fold<S>, from: Versioned<S>, events: readonly RecordedEvent[]): Versioned<S> => ({
  state: events.reduce(fold.evolve, from.state),
  version: events.at(-1)?.streamVersion ?? from.version,
});

/**
 * A projection that keeps one view per stream. Idempotent by stream version: events at or below the
 * version a view shows are skipped, and the write itself refuses to go backwards. A view that misses
 * events before the batch (Redis lost it, or the projection starts late in a stream's life) is rebuilt
 * from the stream itself, so a view is always the fold of its stream up to its version.
 */
export function streamViewProjection<S>(options: {
  name: string;
  eventTypes: ReadonlySet<string>;
  views: StreamViews<S>;
  fold: Fold<S>;
  store: Pick<EventStore, 'readStream'>;
}): ExternalProjection {
  const { views, fold, store } = options;
  const empty = (): Versioned<S> => ({ state: fold.initialState(), version: 0 });
  return {
    name: options.name,
    eventTypes: options.eventTypes,
    async apply(events) {
      const byStream = new Map<string, RecordedEvent[]>();
      for (const event of events) {
        const group = byStream.get(event.streamId);
        if (group) group.push(event);
        else byStream.set(event.streamId, [event]);
      }
      const ids = [...byStream.keys()];
      const stored = await views.read(ids);
      await Promise.all(
        ids.map(async (id, i) => {
          const view = stored[i] ?? empty();
          const fresh = byStream.get(id)!.filter((e) => e.streamVersion > view.version);
          if (fresh.length === 0) return;
          const next =
            fresh[0]!.streamVersion === view.version + 1
              ? foldOnto(fold, view, fresh)
              : foldOnto(
                  fold,
                  empty(),
                  await store.readStream(id, { maxCount: fresh.at(-1)!.streamVersion }),
                );
          await views.writeIfNewer(id, next);
        }),
      );
    },
  };
}

/**
 * A stream's view brought up to the stream's present: the stored view, then the events the stream has
 * beyond it (none, usually). Exact whatever the projection's lag; a view found behind is written back.
 */
export async function currentView<S>(
  views: StreamViews<S>,
  fold: Fold<S>,
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
): Promise<Versioned<S>> {
  const [stored] = await views.read([streamId]);
  const view = stored ?? { state: fold.initialState(), version: 0 };
  const tail = await store.readStream(streamId, { fromVersion: view.version + 1 });
  if (tail.length === 0) return view;
  const current = foldOnto(fold, view, tail);
  await views.writeIfNewer(streamId, current);
  return current;
}
