import { describe, expect, it } from 'vitest';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, watched } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';
import { eventStoreContract } from './contract.ts';

eventStoreContract('PostgreSQL', async () => {
  const database = await freshPostgres();
  const store = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
  return { store, dispose: async () => (await store.close(), await database.drop()) };
});

describe('stream reads on PostgreSQL', () => {
  it('go together in one statement when asked while others are on their way', async () => {
    const database = await freshPostgres();
    let reads = 0;
    const counted = watched(database.db, (sql) => {
      if (sql.includes('WITH ORDINALITY AS wanted')) reads++;
    });
    const store = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES });
    try {
      await store.append('thing-read', [thing({ n: 1 })], 'no_stream');
      const read = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.readStream(i % 2 ? 'thing-read' : `thing-none-${i}`)),
      );
      expect(read.map((events) => events.length)).toEqual(read.map((_, i) => i % 2));
      // A few on their way at once (two); the others wait and go together, 64 at most in one.
      expect(reads).toBeGreaterThanOrEqual(3);
      expect(reads).toBeLessThanOrEqual(6);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
