import type { SqlClient } from '../../db/sql-client.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { createWorkQueue, type WorkQueue } from '../work-queue.ts';

/**
 * The checkout saga's work queue (`work-queue.ts`): orders it still has work for, a row each in
 * `checkout_saga`. Placed orders enter it through its projection.
 */
export type CheckoutQueue = WorkQueue;

export const createCheckoutQueue = (db: SqlClient): CheckoutQueue =>
  createWorkQueue(db, { table: 'checkout_saga', queuedAt: 'placed_at' }, queueProjection);

/**
 * Every placed order enters the saga's queue, and an order an admin reviewed enters it again (it left
 * while it waited); the checkpoint moves with it, so none is missed.
 */
const queueProjection = (queued: (orders: number) => void): SqlProjection => ({
  name: 'checkout-saga-queue',
  rebuild: {
    refused:
      "its rows are the checkout saga's work queue, not a view of the log: the saga deletes an order's row " +
      'once the order needs nothing more and leases the rows it drives, so a replay would queue every order ' +
      'ever placed again',
  },
  eventTypes: new Set(['OrderPlaced', 'OrderReviewed']),
  readsThenWrites: true,
  // Placed orders gather for 20 ms at most (15, the poll interval, where the log is polled), and a worker
  // of this process claims them as soon as their rows commit instead of at its next poll. Gathering less
  // commits a transaction every few milliseconds; on PGlite each one holds the whole database.
  follow: { gatherMs: 20, maxPollIntervalMs: 15 },
  afterCommit: (events) => queued(events.length),
  async apply(tx, events) {
    // One statement per batch: the first of an order's rows wins, as it would one event at a time.
    const placed = events
      .filter((event) => event.type === 'OrderPlaced')
      .map((event) => event.data as { orderId: string; placedAt: string });
    if (placed.length > 0)
      await tx.query(
        `INSERT INTO checkout_saga (order_id, placed_at)
         SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT (order_id) DO NOTHING`,
        [placed.map((p) => p.orderId), placed.map((p) => p.placedAt)],
      );
    // A reviewed order may still have its row (a drive about to finish): marked, it is driven once more.
    const reviewed = events.filter((event) => event.type === 'OrderReviewed');
    for (const event of reviewed)
      await tx.query(
        `INSERT INTO checkout_saga (order_id, placed_at) VALUES ($1, $2)
         ON CONFLICT (order_id) DO UPDATE SET requeued = true`,
        [(event.data as { orderId: string }).orderId, event.recordedAt],
      );
  },
});
