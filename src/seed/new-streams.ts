import { WrongExpectedVersionError } from '../eventstore/errors.ts';
import type { EventStore, NewEvent } from '../eventstore/event-store.ts';
import { SqlEventStore } from '../eventstore/sql-event-store.ts';

export type NewStream = { stream: string; events: NewEvent[] };

const STREAMS_PER_STATEMENT = 500;
const APPENDS_IN_FLIGHT = 8;

/**
 * Writes the first events of streams that do not exist yet; a stream that already has events is
 * left as it is. Returns how many streams it wrote. Seeding a demo shop is thousands of tiny
 * appends, and one round trip each costs seconds of start-up on embedded PGlite; the SQL store
 * writes them many per statement instead (`SqlEventStore.createStreams`). Other stores use the port.
 */
export async function appendNewStreams(store: EventStore, streams: readonly NewStream[]): Promise<number> {
  if (!(store instanceof SqlEventStore)) return appendOneByOne(store, streams);
  let written = 0;
  for (let i = 0; i < streams.length; i += STREAMS_PER_STATEMENT)
    written += await store.createStreams(streams.slice(i, i + STREAMS_PER_STATEMENT));
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
