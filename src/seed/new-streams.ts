import type { SqlClient } from '../db/sql-client.ts';
import { DOMAIN_EVENT_TYPES } from '../domain/event-types.ts';
import { WrongExpectedVersionError } from '../eventstore/errors.ts';
import type { EventStore, NewEvent } from '../eventstore/event-store.ts';
import { SqlEventStore } from '../eventstore/sql-event-store.ts';
import { appendPayload, assertStreamId, prepareEvents } from '../eventstore/validation.ts';

export type NewStream = { stream: string; events: NewEvent[] };

const STREAMS_PER_STATEMENT = 500;
const APPENDS_IN_FLIGHT = 8;
const knownTypes: ReadonlySet<string> = new Set(DOMAIN_EVENT_TYPES);

/**
 * Writes the first events of streams that do not exist yet; a stream that already has events is
 * left as it is. Returns how many streams it wrote. Seeding a demo shop is thousands of tiny
 * appends, and one round trip each costs seconds of start-up on embedded PGlite; on the SQL store
 * they go through `es_append` many per statement instead: the same function, checks, hash chain and
 * idempotency by event id as `SqlEventStore.append`, in fewer round trips. Other stores use the port.
 */
export async function appendNewStreams(
  platform: { store: EventStore; db: SqlClient },
  streams: readonly NewStream[],
): Promise<number> {
  if (!(platform.store instanceof SqlEventStore)) return appendOneByOne(platform.store, streams);
  let written = 0;
  for (let i = 0; i < streams.length; i += STREAMS_PER_STATEMENT) {
    const chunk = streams.slice(i, i + STREAMS_PER_STATEMENT).map(({ stream, events }) => {
      assertStreamId(stream);
      return `{"stream":${JSON.stringify(stream)},"events":${appendPayload(prepareEvents(stream, events, knownTypes))}}`;
    });
    // Expected version -2 is `no_stream`: a stream that exists answers 'conflict' and is skipped.
    const [row] = await platform.db.query<{ written: number }>(
      `SELECT count(*) FILTER (WHERE a.outcome = 'ok')::int AS written
         FROM jsonb_to_recordset($1::jsonb) AS s(stream text, events jsonb),
              LATERAL es_append(s.stream, -2, s.events) AS a`,
      [`[${chunk.join(',')}]`],
    );
    written += row?.written ?? 0;
  }
  return written;
}

async function appendOneByOne(store: EventStore, streams: readonly NewStream[]): Promise<number> {
  let next = 0;
  let written = 0;
  const appender = async () => {
    for (let item = streams[next++]; item; item = streams[next++]) {
      try {
        if ((await store.append(item.stream, item.events, 'no_stream')).written) written++;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: APPENDS_IN_FLIGHT }, appender));
  return written;
}
