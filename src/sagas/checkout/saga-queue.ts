import { inBackground, type SqlClient } from '../../db/sql-client.ts';
import { Signal } from '../../eventstore/signal.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

/**
 * The checkout saga's work queue: orders it still has work for, a row each, leased by the worker that
 * drives them. Placed orders enter it through `projection`; `enqueue` puts one back in front of the
 * saga. Both wake this process's workers at once (`waitForOrders`); orders queued by other processes
 * are found by polling.
 */
export type CheckoutQueue = Readonly<{
  /** Queues every placed order; the composition root runs it with the other SQL projections. */
  projection: SqlProjection;
  /** Puts an order (back) in front of the saga, e.g. a gateway told us something after the saga finished. */
  enqueue(orderId: string): Promise<void>;
  /** Resolves with true once this process queued orders, or with false after `ms`. */
  waitForOrders(ms: number): Promise<boolean>;
  /** The queue as one worker sees it: the orders it claims, under leases in its own name. */
  leasesFor(owner: string): QueueLeases;
}>;

export function createCheckoutQueue(db: SqlClient): CheckoutQueue {
  const ordersQueued = new Signal();
  return {
    projection: queueProjection(() => ordersQueued.signal()),
    async enqueue(orderId) {
      // A row of its own, or, while it has one (a drive may be under way), a mark to drive it again.
      await db.query(
        `INSERT INTO checkout_saga (order_id, placed_at) VALUES ($1, now())
         ON CONFLICT (order_id) DO UPDATE SET requeued = true`,
        [orderId],
      );
      ordersQueued.signal();
    },
    waitForOrders: (ms) => ordersQueued.wait(ms),
    leasesFor: (owner) => new QueueLeases(inBackground(db), owner),
  };
}

/** Every placed order enters the saga's queue; the checkpoint moves with it, so none is missed. */
const queueProjection = (queued: () => void): SqlProjection => ({
  name: 'checkout-saga-queue',
  rebuild: {
    refused:
      "its rows are the checkout saga's work queue, not a view of the log: the saga deletes an order's row " +
      'once the order needs nothing more and leases the rows it drives, so a replay would queue every order ' +
      'ever placed again',
  },
  eventTypes: new Set(['OrderPlaced']),
  // Placed orders gather for 20 ms at most (15, the poll interval, where the log is polled), and a worker
  // of this process claims them as soon as their rows commit instead of at its next poll. Gathering less
  // commits a transaction every few milliseconds; on PGlite each one holds the whole database.
  follow: { gatherMs: 20, maxPollIntervalMs: 15 },
  afterCommit: queued,
  async apply(tx, events) {
    // One statement per batch: the first of an order's rows wins, as it would one event at a time.
    const placed = events.map((event) => event.data as { orderId: string; placedAt: string });
    await tx.query(
      `INSERT INTO checkout_saga (order_id, placed_at)
       SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT (order_id) DO NOTHING`,
      [placed.map((p) => p.orderId), placed.map((p) => p.placedAt)],
    );
  },
});

/** Leases on queued orders: one worker drives an order at a time, until its lease runs out. */
export class QueueLeases {
  constructor(
    private readonly db: SqlClient,
    private readonly owner: string,
  ) {}

  /** Up to `limit` orders nobody holds, oldest first, leased to this worker for `leaseMs`. */
  async claim(limit: number, leaseMs: number): Promise<string[]> {
    const rows = await this.db.query<{ order_id: string }>(
      `UPDATE checkout_saga SET leased_until = now() + make_interval(secs => $2 / 1000.0), lease_owner = $3,
              attempts = attempts + 1
        WHERE order_id IN (
          SELECT order_id FROM checkout_saga
           WHERE leased_until IS NULL OR leased_until < now()
           ORDER BY leased_until NULLS FIRST, placed_at
           LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING order_id`,
      [limit, leaseMs, this.owner],
    );
    return rows.map((r) => r.order_id);
  }

  /** Done with the order, unless it was queued again meanwhile: then it is released for another drive. */
  async finish(orderId: string): Promise<void> {
    const deleted = await this.db.query(
      `DELETE FROM checkout_saga WHERE order_id = $1 AND lease_owner = $2 AND NOT requeued RETURNING order_id`,
      [orderId, this.owner],
    );
    if (deleted.length === 0)
      await this.db.query(
        `UPDATE checkout_saga SET requeued = false, leased_until = NULL, lease_owner = NULL
          WHERE order_id = $1 AND lease_owner = $2`,
        [orderId, this.owner],
      );
  }

  /** Keeps the order leased until `delayMs` from now, then anyone may try again. */
  async retryLater(orderId: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE checkout_saga SET leased_until = now() + make_interval(secs => $2 / 1000.0)
        WHERE order_id = $1 AND lease_owner = $3`,
      [orderId, delayMs, this.owner],
    );
  }

  async renew(orderId: string, leaseMs: number): Promise<void> {
    await this.retryLater(orderId, leaseMs);
  }

  async pending(): Promise<number> {
    const [row] = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM checkout_saga`);
    return Number(row?.n ?? 0);
  }
}
