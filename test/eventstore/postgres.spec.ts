import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres } from '../support/databases.ts';
import { TEST_EVENT_TYPES } from '../support/events.ts';
import { eventStoreContract } from './contract.ts';

eventStoreContract('PostgreSQL', async () => {
  const database = await freshPostgres();
  const store = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
  return { store, dispose: async () => (await store.close(), await database.drop()) };
});
