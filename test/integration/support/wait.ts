import { setTimeout as sleep } from 'node:timers/promises';
import { orderState } from '../../support/shop.ts';
import type { SqlClient } from '../../../src/db/sql-client.ts';
import type { Platform } from '../../../src/platform.ts';

/** Polls `check` until it returns true; fails with `what` (and the last value seen) after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  intervalMs = 50,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits (outside a test as well: in hooks) until every order is confirmed or cancelled. */
export async function allSettled(platform: Platform, orderIds: readonly string[], timeoutMs = 30_000) {
  await until(
    `${orderIds.length} orders to settle`,
    async () => {
      for (const orderId of orderIds) {
        const { status } = await orderState(platform, orderId);
        if (status !== 'confirmed' && status !== 'cancelled') return false;
      }
      return true;
    },
    timeoutMs,
  );
}

/**
 * Waits until every transaction begun on the PostgreSQL server before the call has ended. A commit
 * shows in the global log only then (older transactions, of any database of the server, hold it
 * back), so after this the log holds every event committed before the call: what a stream read
 * already showed (an order settled, say) the global log shows too.
 */
export async function logShowsAllCommitted(db: SqlClient, timeoutMs = 60_000) {
  // A transaction id of its own: greater than any given out before (a snapshot's xmax is not: it is
  // one past the last transaction that ended).
  const [now] = await db.query<{ xid: string }>(`SELECT pg_current_xact_id()::text AS xid`);
  await until(
    'the transactions begun so far to end (the global log to show every commit made so far)',
    async () => {
      const [row] = await db.query<{ ended: boolean }>(
        `SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS ended`,
        [now!.xid],
      );
      return row!.ended;
    },
    timeoutMs,
  );
}
