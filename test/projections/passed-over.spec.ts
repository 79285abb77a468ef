import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { loadCheckpoint, runSqlProjection, type SqlProjection } from '../../src/subscriptions/index.ts';
import { freshPGlite, watched, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, testMetadata, thing } from '../support/events.ts';
import { projectionPassed } from './support.ts';

const other = () => ({
  eventId: crypto.randomUUID(),
  type: 'OtherThingHappened',
  data: {},
  metadata: testMetadata(),
});

// A projection whose reads pass over other types' events only stores where it got to a moment later
// (at most every 250 ms), not once per read; it still gets to the end of the log, and an event of its
// type after such a stretch is applied once.
describe('a projection passing over other types’ events', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  let counted: SqlClient;
  const saves: number[] = [];
  const applied: RecordedEvent[] = [];
  const projection: SqlProjection = {
    name: 'passes-over',
    eventTypes: new Set(['OtherThingHappened']),
    rebuild: { tables: [] },
    follow: { gatherMs: 0, maxPollIntervalMs: 5 },
    async apply(_tx, events) {
      applied.push(...events);
    },
  };

  beforeAll(async () => {
    database = await freshPGlite();
    // Its bookkeeping goes through the background client: both are counted.
    counted = watched(database.db, (sql, params) => {
      if (sql.includes('UPDATE projection_checkpoints') && params?.[0] === projection.name)
        saves.push(performance.now());
    });
    store = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES });
  });
  afterAll(async () => (await store.close(), await database.drop()));

  it('stores its place at most every 250 ms while it passes over events, reaches the end, and applies its own once', async () => {
    const subscription = await runSqlProjection(store, counted, projection);
    try {
      const started = performance.now();
      const streams = new Set<string>();
      // One append at a time, each read by the subscription before the next (it reads every few ms).
      for (let i = 0; i < 60; i++) {
        const stream = `thing-${i % 4}`;
        streams.add(stream);
        await store.append(stream, [thing({ i })], 'any');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await projectionPassed(database.db, store, projection.name, streams);
      const elapsed = performance.now() - started;
      expect(saves.length).toBeGreaterThan(0);
      expect(saves.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
      expect(applied).toEqual([]);

      await store.append('other-1', [other()], 'no_stream');
      await projectionPassed(database.db, store, projection.name, ['other-1']);
      expect(applied.map((e) => e.streamId)).toEqual(['other-1']);
      expect(await loadCheckpoint(database.db, projection.name)).toEqual(subscription.checkpoint);
    } finally {
      await subscription.stop();
    }
  });
});
