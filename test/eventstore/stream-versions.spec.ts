import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { WrongExpectedVersionError } from '../../src/eventstore/errors.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { appendPayload, prepareEvents } from '../../src/eventstore/validation.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';

// On PGlite the store keeps every stream's version in memory (this process is the only writer):
// reads of a tail with nothing new cost no query, and nothing new is ever missed.
describe('stream versions kept in memory on PGlite', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  const statements: string[] = [];
  let asked: readonly unknown[] | undefined;

  beforeEach(async () => {
    database = await freshPGlite();
    const counted: SqlClient = {
      ...database.db,
      query: (sql, params) => (statements.push(sql), (asked = params), database.db.query(sql, params)),
    };
    store = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES });
    // The first read loads the versions; reads from then on may be answered from memory.
    await store.readStream('warm-up');
    statements.length = 0;
  });
  afterEach(async () => (await store.close(), await database.drop()));

  it('answers reads beyond a stream’s end without a query, and reads what each append adds', async () => {
    await store.append('thing-1', [thing({ n: 1 }), thing({ n: 2 })], 'no_stream');
    statements.length = 0;

    expect(await store.readStream('thing-1', { fromVersion: 3 })).toEqual([]);
    expect(await store.readStream('thing-never')).toEqual([]);
    expect(await store.streamVersion('thing-1')).toBe(2);
    const none = await store.readStreams([
      { streamId: 'thing-1', fromVersion: 3 },
      { streamId: 'thing-never', fromVersion: 1 },
    ]);
    expect([...none]).toEqual([
      ['thing-1', []],
      ['thing-never', []],
    ]);
    expect(statements).toEqual([]);

    await store.append('thing-1', [thing({ n: 3 })], 2);
    const tail = await store.readStream('thing-1', { fromVersion: 3 });
    expect(tail.map((e) => e.data)).toEqual([{ n: 3 }]);
    statements.length = 0;
    const both = await store.readStreams([
      { streamId: 'thing-1', fromVersion: 2 },
      { streamId: 'thing-never', fromVersion: 1 },
    ]);
    expect(both.get('thing-1')!.map((e) => e.streamVersion)).toEqual([2, 3]);
    expect(both.get('thing-never')).toEqual([]);
    // Only the stream with something to read was asked for.
    expect(statements).toHaveLength(1);
    expect(asked).toEqual([['thing-1'], [2]]);
  });

  it('knows the streams seeded many per statement', async () => {
    expect(await store.createStreams([{ stream: 'seeded-1', events: [thing({ seeded: true })] }])).toBe(1);
    expect((await store.readStream('seeded-1')).map((e) => e.data)).toEqual([{ seeded: true }]);
    expect(await store.streamVersion('seeded-1')).toBe(1);
  });

  it('learns a stream’s version from a conflict, even one made by a writer it did not see', async () => {
    await store.append('thing-2', [thing({ n: 1 })], 'no_stream');
    // Written behind the store's back, as no code of the platform does.
    const foreign = prepareEvents('thing-2', [thing({ n: 2 })], new Set(TEST_EVENT_TYPES));
    await database.db.query(`SELECT * FROM es_append($1, 1, $2::jsonb)`, ['thing-2', appendPayload(foreign)]);

    await expect(store.append('thing-2', [thing({ n: 3 })], 1)).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect((await store.readStream('thing-2', { fromVersion: 2 })).map((e) => e.data)).toEqual([{ n: 2 }]);
  });

  it('reads the version afresh when an append fails', async () => {
    const first = thing({ n: 1 });
    await store.append('thing-3', [first], 'no_stream');
    statements.length = 0;
    // The database refuses an event id used by another stream's event.
    await expect(store.append('thing-4', [thing({ n: 2 }, first.eventId)], 'no_stream')).rejects.toThrow(
      /already used/,
    );
    expect(statements.some((sql) => sql.includes('FROM es_streams'))).toBe(true);
    expect(await store.streamVersion('thing-4')).toBe(0);
    expect(await store.streamVersion('thing-3')).toBe(1);
  });
});
