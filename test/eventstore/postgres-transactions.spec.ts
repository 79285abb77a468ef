import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { verifyChain } from '../../src/eventstore/hash-chain.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { appendPayload, prepareEvents } from '../../src/eventstore/validation.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';
import { within } from '../support/saga-worker-process.ts';

/**
 * What only a multi-connection server can show: a transaction that stays open while others commit.
 * `holdAppend` starts an append in its own transaction and leaves it uncommitted. Nothing waits a
 * fixed time: what must not happen yet is checked once the subscription has read the log since, or
 * once a writer is seen waiting for the lock.
 */
describe('PostgreSQL event store under overlapping transactions', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  const held: pg.Client[] = [];
  /** Reads of the global log (the subscriptions'), numbered as they began, as they completed. */
  let readsBegun = 0;
  const readsDone: number[] = [];
  /** Waits until two reads of the global log begun after this call have completed. */
  async function readTwiceMore() {
    const mark = readsBegun;
    await expect
      .poll(() => readsDone.filter((n) => n > mark).length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
  }

  async function holdAppend(streamId: string) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    held.push(client);
    await client.query('BEGIN');
    const events = prepareEvents(streamId, [thing({ held: true })], new Set(TEST_EVENT_TYPES));
    await client.query(`SELECT * FROM es_append($1, -1, $2::jsonb)`, [streamId, appendPayload(events)]);
    return { commit: () => client.query('COMMIT'), rollback: () => client.query('ROLLBACK') };
  }

  beforeAll(async () => {
    database = await freshPostgres();
    const counted: SqlClient = {
      ...database.db,
      background: undefined, // its reads are the ones counted
      query: ((sql: string, params?: readonly unknown[]) => {
        const reading = database.db.query(sql, params);
        if (sql.includes('pg_snapshot_xmin(pg_current_snapshot())')) {
          const n = ++readsBegun;
          reading.then(
            () => readsDone.push(n),
            () => undefined,
          );
        }
        return reading;
      }) as SqlClient['query'],
    };
    store = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES });
  });
  afterAll(async () => {
    await Promise.all(held.map((c) => c.end()));
    await store.close();
    await database.drop();
  });

  it('never skips an event whose transaction took its position first but committed last', async () => {
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe(async (events) => void received.push(...events), {
      maxPollIntervalMs: 5,
    });
    const slow = await holdAppend('late-slow'); // takes the lower global position
    await store.append('late-fast', [thing()], 'no_stream'); // commits first, with a higher position
    await readTwiceMore();
    // The fast event must wait: delivering it now would move the checkpoint past the slow one.
    expect(received.map((e) => e.streamId)).not.toContain('late-fast');
    await slow.commit();
    await expect.poll(() => received.length, { timeout: 60_000 }).toBe(2);
    await subscription.stop();
    const [first, second] = received as [RecordedEvent, RecordedEvent];
    expect(first.streamId).toBe('late-slow');
    expect(second.streamId).toBe('late-fast');
    expect(first.globalPosition).toBeLessThan(second.globalPosition);
  });

  it('reading some types only, never moves past an event of another type that may still commit', async () => {
    // The read with types says how far it got past events of other types: never beyond a transaction
    // still running, or the held event (of the type asked for) would be skipped when it commits.
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe(async (events) => void received.push(...events), {
      maxPollIntervalMs: 5,
      types: ['ThingHappened'],
      after: (await store.readAll({ after: 0, maxCount: 0 })).next,
    });
    const slow = await holdAppend('typed-late-slow');
    await store.append('typed-late-fast', [{ ...thing(), type: 'OtherThingHappened' }], 'no_stream');
    await store.append('typed-late-fast', [thing()], 1);
    await readTwiceMore();
    expect(received.map((e) => e.streamId).filter((s) => s.startsWith('typed-'))).toEqual([]);
    await slow.commit();
    await expect
      .poll(() => received.map((e) => e.streamId).filter((s) => s.startsWith('typed-')), { timeout: 60_000 })
      .toEqual(['typed-late-slow', 'typed-late-fast']);
    await subscription.stop();
    expect(received.every((e) => e.type === 'ThingHappened')).toBe(true);
  });

  it('lets writers to other streams proceed while one stream is locked by an open append', async () => {
    const open = await holdAppend('busy-stream');
    // They all finish while the transaction stays open (it ends only below): none waited for it.
    await within(
      Promise.all(Array.from({ length: 20 }, (_, i) => store.append(`free-${i}`, [thing()], 'no_stream'))),
      60_000,
      () => 'appends to other streams waited for the open transaction',
    );
    // A writer to the same stream waits for the open transaction, then sees its outcome.
    let sameStreamDone = false;
    const sameStream = store
      .append('busy-stream', [thing()], 'no_stream')
      .finally(() => (sameStreamDone = true));
    sameStream.catch(() => undefined);
    await expect
      .poll(
        async () =>
          (
            await database.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0]!.n,
        { timeout: 60_000 },
      )
      .toBe(1);
    expect(sameStreamDone).toBe(false);
    await open.commit();
    await expect(sameStream).rejects.toMatchObject({ actualVersion: 1 });
  });

  it('leaves no trace of an append whose transaction rolled back', async () => {
    const aborted = await holdAppend('rolled-back');
    await aborted.rollback();
    expect(await store.streamVersion('rolled-back')).toBe(0);
    await store.append('rolled-back', [thing()], 'no_stream');
    expect(verifyChain(await store.readStream('rolled-back')).valid).toBe(true);
  });

  it('detects an event edited directly in the database and names the first broken version', async () => {
    await store.append('audit-1', [thing({ n: 1 }), thing({ n: 2 }), thing({ n: 3 })], 'no_stream');
    expect(verifyChain(await store.readStream('audit-1'))).toEqual({ valid: true, events: 3 });
    await database.db.query(
      `UPDATE es_events SET data = '{"n": 20}' WHERE stream_id = 'audit-1' AND stream_version = 2`,
    );
    expect(verifyChain(await store.readStream('audit-1'))).toMatchObject({ valid: false, brokenAt: 2 });
  });
});
