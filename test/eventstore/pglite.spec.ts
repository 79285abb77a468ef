import { describe, expect, it } from 'vitest';
import { WrongExpectedVersionError } from '../../src/eventstore/errors.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPGlite } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';
import { eventStoreContract } from './contract.ts';

eventStoreContract('PGlite', async () => {
  const database = await freshPGlite();
  const store = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
  return { store, dispose: async () => (await store.close(), await database.drop()) };
});

describe('appends of the background on PGlite', () => {
  it('go in calls of their own and keep each append’s outcome', async () => {
    const database = await freshPGlite();
    const store = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
    try {
      const appends = Array.from({ length: 40 }, (_, i) =>
        store.append(`lane-${i % 10}`, [thing({ i })], 'any', { background: i % 2 === 0 }),
      );
      await Promise.all(appends);
      for (let s = 0; s < 10; s++)
        expect((await store.readStream(`lane-${s}`)).map((e) => (e.data as { i: number }).i).sort()).toEqual(
          [s, s + 10, s + 20, s + 30].sort(),
        );
      await expect(store.append('lane-0', [thing()], 1, { background: true })).rejects.toBeInstanceOf(
        WrongExpectedVersionError,
      );
      expect(await store.streamVersion('lane-0')).toBe(4);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
