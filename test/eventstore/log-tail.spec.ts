import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_START, type Checkpoint, type ReadAllOptions } from '../../src/eventstore/event-store.ts';
import { LogTail } from '../../src/eventstore/log-tail.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, testMetadata, thing } from '../support/events.ts';

const other = (n: number) => ({
  eventId: crypto.randomUUID(),
  type: 'OtherThingHappened',
  data: { n },
  metadata: testMetadata(),
});

// The tail answers a subscription's read as the database would, from memory, with one read of the log
// however many subscriptions ask at once; it is checked against the store's own reads of a real log.
describe('the log tail shared by a process’s subscriptions', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  const reads: ReadAllOptions[] = [];
  const tailOf = (capacity?: number) =>
    new LogTail((options) => (reads.push(options), store.readAll(options)), capacity);
  const direct = (options: ReadAllOptions & { after: Checkpoint }) => store.readAll(options);
  /** Every event's checkpoint, in log order. */
  let places: Checkpoint[] = [];

  const append = async (count: number) => {
    for (let i = 0; i < count; i++)
      await store.append(
        `thing-${i % 7}`,
        [i % 3 === 0 ? thing({ n: i }) : other(i), ...(i % 5 === 0 ? [other(i)] : [])],
        'any',
      );
    places = (await store.readAll({ maxCount: 100_000 })).events.map((e) => e.checkpoint);
  };

  beforeAll(async () => {
    database = await freshPGlite();
    store = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
    await append(120);
  });
  afterAll(async () => (await store.close(), await database.drop()));

  it('answers every read from anywhere in it exactly as the database does: the same events and the same next place', async () => {
    const tail = tailOf();
    await tail.readAll({ after: places[10]! }); // the tail starts there
    const cases: (ReadAllOptions & { after: Checkpoint })[] = [];
    for (const at of [10, 11, 40, 77, places.length - 2, places.length - 1])
      for (const types of [undefined, ['ThingHappened'], ['OtherThingHappened'], ['Nothing']])
        for (const maxCount of [1, 3, 500]) cases.push({ after: places[at]!, types, maxCount });
    for (const options of cases)
      expect(await tail.readAll(options), JSON.stringify(options)).toEqual(await direct(options));
  });

  it('reads the log once for many subscribers at its end, and reads on only from its end', async () => {
    const tail = tailOf();
    const end = places.at(-1)!;
    await tail.readAll({ after: end });
    const before = places.length;
    await append(30);
    reads.length = 0;
    const answers = await Promise.all(
      [undefined, ['ThingHappened'], ['OtherThingHappened'], undefined, ['ThingHappened']].map((types) =>
        tail.readAll({ after: end, types }),
      ),
    );
    expect(reads).toEqual([{ after: end, maxCount: 1_000 }]);
    for (const [i, types] of [undefined, ['ThingHappened'], ['OtherThingHappened']].entries())
      expect(answers[i]).toEqual(await direct({ after: end, types }));
    expect(answers[0]!.events).toHaveLength(places.length - before);
  });

  it('sends a subscriber behind it to the database, and takes back one that went past its end', async () => {
    const tail = tailOf(20);
    await tail.readAll({ after: places[0]! });
    // Kept to its capacity: the first events are gone from it.
    reads.length = 0;
    const behind = { after: places[0]!, types: ['ThingHappened'], maxCount: 5 };
    expect(await tail.readAll(behind)).toEqual(await direct(behind));
    expect(reads).toEqual([behind]);

    const start = places.length - 15;
    const fresh = tailOf(50);
    await fresh.readAll({ after: places[start]! });
    const end = places.at(-1)!;
    await append(4);
    // A subscriber whose own read of the database went past the tail's end.
    const past = places.at(-2)!;
    reads.length = 0;
    expect(await fresh.readAll({ after: past })).toEqual(await direct({ after: past }));
    expect(reads).toEqual([{ after: end, maxCount: 1_000 }]);
    expect(await fresh.readAll({ after: places[start + 1]!, types: ['ThingHappened'] })).toEqual(
      await direct({ after: places[start + 1]!, types: ['ThingHappened'] }),
    );
    expect(reads).toHaveLength(1);
  });

  it('starts from the first subscriber’s place, even the log’s start', async () => {
    const tail = tailOf();
    expect(await tail.readAll({ after: LOG_START, maxCount: 7 })).toEqual(
      await direct({ after: LOG_START, maxCount: 7 }),
    );
  });
});
