import { batched } from '../db/batched.ts';
import { BY_KEY, inBackground, type SqlClient } from '../db/sql-client.ts';
import { Signal } from '../eventstore/signal.ts';
import type { SqlProjection } from '../subscriptions/index.ts';
import { RecentRate } from './recent-rate.ts';

/**
 * A process's work queue: orders it still has work for, a row each, leased by the worker that drives
 * them. Orders enter it through `projection` (the events that ask for work) or `enqueue`; both wake this
 * process's workers at once (`waitForOrders`); orders queued by other processes are found by polling.
 */
export type WorkQueue = Readonly<{
  /** Queues the orders its events ask for; the composition root runs it with the other SQL projections. */
  projection: SqlProjection;
  /** Puts an order (back) in front of the process, e.g. a gateway told us something after it finished. */
  enqueue(orderId: string): Promise<void>;
  /** Resolves with true once this process queued orders, or with false after `ms`. */
  waitForOrders(ms: number): Promise<boolean>;
  /** Orders a second its projection queued lately (the last 250 ms): every process's, as the log brings them. */
  arrivalsPerSecond(): number;
  /** The queue as one worker sees it: the orders it claims, under leases in its own name. */
  leasesFor(owner: string): QueueLeases;
}>;

/**
 * Where a queue's rows live: a table with `order_id`, `requeued`, `leased_until`, `lease_owner` and
 * `attempts`, and the column that orders it oldest first. Names from code, never from a request.
 */
export type QueueTable = Readonly<{ table: string; queuedAt: string }>;

/** `projection` is given the callback that counts the orders queued and wakes the workers once its rows commit. */
export function createWorkQueue(
  db: SqlClient,
  rows: QueueTable,
  projection: (queued: (orders: number) => void) => SqlProjection,
): WorkQueue {
  const ordersQueued = new Signal();
  const arrivals = new RecentRate();
  return {
    projection: projection((orders) => {
      arrivals.add(orders);
      ordersQueued.signal();
    }),
    async enqueue(orderId) {
      // A row of its own, or, while it has one (a drive may be under way), a mark to drive it again.
      await db.query(
        `INSERT INTO ${rows.table} (order_id, ${rows.queuedAt}) VALUES ($1, now())
         ON CONFLICT (order_id) DO UPDATE SET requeued = true`,
        [orderId],
      );
      ordersQueued.signal();
    },
    waitForOrders: (ms) => ordersQueued.wait(ms),
    arrivalsPerSecond: () => arrivals.perSecond(),
    leasesFor: (owner) => new QueueLeases(inBackground(db), rows, owner),
  };
}

const MAX_FINISHED_AT_ONCE = 500;

/** Leases on queued orders: one worker drives an order at a time, until its lease runs out. */
export class QueueLeases {
  constructor(
    private readonly db: SqlClient,
    private readonly rows: QueueTable,
    private readonly owner: string,
  ) {}

  /**
   * Up to `limit` orders nobody holds, oldest first, leased to this worker for `leaseMs`; and how long
   * the oldest of them had waited since it was queued, in ms (0: none claimed).
   */
  async claim(limit: number, leaseMs: number): Promise<{ orderIds: string[]; waitedMs: number }> {
    const { table, queuedAt } = this.rows;
    const claimed = await this.db.query<{ order_id: string; waited_ms: number | string }>(
      `UPDATE ${table} SET leased_until = now() + make_interval(secs => $2 / 1000.0), lease_owner = $3,
              attempts = attempts + 1
        WHERE order_id IN (
          SELECT order_id FROM ${table}
           WHERE leased_until IS NULL OR leased_until < now()
           ORDER BY leased_until NULLS FIRST, ${queuedAt}
           LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING order_id, extract(epoch FROM now() - ${queuedAt}) * 1000 AS waited_ms`,
      [limit, leaseMs, this.owner],
      BY_KEY,
    );
    return {
      orderIds: claimed.map((r) => r.order_id),
      waitedMs: Math.max(0, ...claimed.map((r) => Number(r.waited_ms))),
    };
  }

  /**
   * Done with the order, unless it was queued again meanwhile: then it is released for another drive.
   * Orders finished while a finish is on its way go together in the next (one statement for many,
   * as the drain of a surge finishes hundreds a second).
   */
  readonly finish: (orderId: string) => Promise<void> = batched(MAX_FINISHED_AT_ONCE, (orderIds) =>
    this.finishAll(orderIds),
  );

  private async finishAll(orderIds: readonly string[]): Promise<void[]> {
    const { table } = this.rows;
    const deleted = await this.db.query<{ order_id: string }>(
      `DELETE FROM ${table} WHERE order_id = ANY($1::text[]) AND lease_owner = $2 AND NOT requeued
       RETURNING order_id`,
      [orderIds, this.owner],
      BY_KEY,
    );
    const gone = new Set(deleted.map((row) => row.order_id));
    const requeued = orderIds.filter((orderId) => !gone.has(orderId));
    if (requeued.length > 0)
      await this.db.query(
        `UPDATE ${table} SET requeued = false, leased_until = NULL, lease_owner = NULL
          WHERE order_id = ANY($1::text[]) AND lease_owner = $2`,
        [requeued, this.owner],
        BY_KEY,
      );
    return orderIds.map(() => undefined);
  }

  /** Keeps the order leased until `delayMs` from now, then anyone may try again. */
  async retryLater(orderId: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.rows.table} SET leased_until = now() + make_interval(secs => $2 / 1000.0)
        WHERE order_id = $1 AND lease_owner = $3`,
      [orderId, delayMs, this.owner],
      BY_KEY,
    );
  }

  async renew(orderId: string, leaseMs: number): Promise<void> {
    await this.retryLater(orderId, leaseMs);
  }

  async pending(): Promise<number> {
    const [row] = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${this.rows.table}`);
    return Number(row?.n ?? 0);
  }
}
