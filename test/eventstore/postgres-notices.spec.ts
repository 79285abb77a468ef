import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/db/postgres.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { TEST_EVENT_TYPES, thing } from '../support/events.ts';

/**
 * Two clients of one database, each with its own pool and notices, as two processes have: the
 * writer's appends reach the follower's subscription by notice, not by polling. The follower looks
 * for appends it was not told of once a minute: without the notices, it would find them that late.
 * (How soon it finds them depends on other transactions on the server, which hold new events back
 * until they end, test files running beside this one among them.)
 */
describe('PostgreSQL notices of appends between processes', () => {
  let database: TestDatabase;
  let followerDb: SqlClient;
  let writer: SqlEventStore;
  let follower: SqlEventStore;
  let reads = 0;
  const received: { event: RecordedEvent; at: number }[] = [];
  let subscription: { stop(): Promise<void> };

  beforeAll(async () => {
    database = await freshPostgres();
    followerDb = connectPostgres({ connectionString: database.url! });
    const counted: SqlClient = {
      ...followerDb,
      query: (sql, params) => {
        if (sql.includes('FROM es_events')) reads++;
        return followerDb.query(sql, params);
      },
    };
    writer = new SqlEventStore(database.db, { eventTypes: TEST_EVENT_TYPES });
    follower = new SqlEventStore(counted, { eventTypes: TEST_EVENT_TYPES, quietPollMs: 60_000 });
    subscription = follower.subscribe(async (events) => {
      for (const event of events) received.push({ event, at: performance.now() });
    });
  });
  afterAll(async () => {
    await subscription.stop();
    await followerDb.close();
    await database.drop();
  });

  /** Milliseconds from the writer's append to the follower handling its event. */
  async function delivery(streamId: string) {
    const started = performance.now();
    await writer.append(streamId, [thing()], 'no_stream');
    await expect
      .poll(() => received.some((r) => r.event.streamId === streamId), { timeout: 10_000 })
      .toBe(true);
    return received.find((r) => r.event.streamId === streamId)!.at - started;
  }

  it('hears the other process append, and does not poll while nothing happens', async () => {
    await expect.poll(() => followerDb.notices?.hearing, { timeout: 10_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500)); // idle: past its polls after the last news
    const before = reads;
    await new Promise((r) => setTimeout(r, 2_000));
    // Polling every 50 ms, as without notices, would read about 40 times in these two seconds.
    expect(reads - before).toBe(0);

    expect(await delivery('notice-1')).toBeLessThan(5_000);
  });

  it('goes on hearing after its listening connection is cut, and loses nothing meanwhile', async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE '% notices'`,
    );
    await admin.end();
    expect(rowCount).toBe(1);
    await expect.poll(() => followerDb.notices?.hearing, { timeout: 5_000 }).toBe(false);

    // Appended while nobody listens: found all the same (polled for until it listens again).
    await delivery('notice-unheard');

    await expect.poll(() => followerDb.notices?.hearing, { timeout: 5_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await delivery('notice-2')).toBeLessThan(5_000);
  });
});
