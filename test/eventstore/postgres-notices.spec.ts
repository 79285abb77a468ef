import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectPostgres } from '../../src/db/postgres.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';

/**
 * Two clients of one database, each with its own pool and notices, as two processes have: the
 * writer's appends reach the follower's subscription by notice, not by polling. The follower looks
 * for appends it was not told of every two minutes: an event appended while it waits so and received
 * within a minute came by notice. (How soon it finds them depends on other transactions on the
 * server, which hold new events back until they end, test files running beside this one among them;
 * no duration is asserted.)
 */
const QUIET_POLL_MS = 120_000;

describe('PostgreSQL notices of appends between processes', () => {
  let database: TestDatabase;
  let followerDb: SqlClient;
  let writer: SqlEventStore;
  let follower: SqlEventStore;
  let reads = 0;
  const received: RecordedEvent[] = [];
  let subscription: { stop(): Promise<void> };
  /**
   * The follower's quiet waits (it reads nothing then until told of an append), each as the number
   * of events it had received when it began.
   */
  const quietWaits: number[] = [];

  beforeAll(async () => {
    const setTimer = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      callback: (...args: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      if (ms === QUIET_POLL_MS) quietWaits.push(received.length);
      return setTimer(callback, ms, ...args);
    }) as typeof setTimeout);
    database = await freshPostgres();
    followerDb = connectPostgres({ connectionString: database.url! });
    const counted: SqlClient = {
      ...followerDb,
      background: undefined, // its reads are the ones counted
      query: (sql, params) => {
        if (sql.includes('FROM es_events')) reads++;
        return followerDb.query(sql, params);
      },
    };
    writer = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
    follower = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES, quietPollMs: QUIET_POLL_MS });
    subscription = follower.subscribe(async (events) => void received.push(...events));
  });
  afterAll(async () => {
    // Its quiet wait ends when it is told of an append: one more, so that it stops now.
    const stopping = subscription.stop();
    await writer.append('notice-stop', [thing()], 'no_stream');
    await stopping;
    await followerDb.close();
    await database.drop();
    vi.restoreAllMocks();
  }, 180_000);

  /** Appends to a new stream and waits until the follower handled its event. */
  async function delivered(streamId: string, timeout: number) {
    await writer.append(streamId, [thing()], 'no_stream');
    await expect.poll(() => received.some((e) => e.streamId === streamId), { timeout }).toBe(true);
  }
  /** Waits until the follower begins a quiet wait having received `count` events: caught up, it polls no more. */
  const quietHaving = (count: number) =>
    expect.poll(() => quietWaits.some((n) => n >= count), { timeout: 60_000 }).toBe(true);

  it(
    'hears the other process append, and does not poll while nothing happens',
    { timeout: 180_000 },
    async () => {
      await expect.poll(() => followerDb.notices?.hearing, { timeout: 60_000 }).toBe(true);
      await quietHaving(0); // idle: past its polls after the last news
      const before = reads;
      await new Promise((r) => setTimeout(r, 2_000));
      // Polling every 50 ms, as without notices, would read about 40 times in these two seconds.
      expect(reads - before).toBe(0);

      // Received long before its next look of its own: by notice.
      await delivered('notice-1', 60_000);
    },
  );

  it(
    'goes on hearing after its listening connection is cut, and loses nothing meanwhile',
    { timeout: 300_000 },
    async () => {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE '% notices'`,
      );
      await admin.end();
      expect(rowCount).toBe(1);
      await expect.poll(() => followerDb.notices?.hearing, { timeout: 60_000 }).toBe(false);

      // Appended while nobody listens: found all the same (polled for until it listens again; at worst
      // by its quiet wait's look).
      await delivered('notice-unheard', QUIET_POLL_MS + 30_000);

      await expect.poll(() => followerDb.notices?.hearing, { timeout: 60_000 }).toBe(true);
      await quietHaving(received.length); // idle again, listening, past the event above
      await delivered('notice-2', 60_000);
    },
  );
});
