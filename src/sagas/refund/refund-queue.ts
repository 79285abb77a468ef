import { inBackground, type SqlClient } from '../../db/sql-client.ts';
import { Signal } from '../../eventstore/signal.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';

/**
 * The refund process's work queue: orders it still has work for (a refund promised, a return received,
 * an order cancelled after payment), a row each, leased by the worker that drives them. The order
 * events that ask for work enter it through `projection`; both it and `enqueue` wake this process's
 * workers at once (`waitForOrders`); orders queued by other processes are found by polling.
 */
export type RefundQueue = Readonly<{
  projection: SqlProjection;
  enqueue(orderId: string): Promise<void>;
  waitForOrders(ms: number): Promise<boolean>;
  leasesFor(owner: string): RefundQueueLeases;
}>;

export function createRefundQueue(db: SqlClient): RefundQueue {
  const ordersQueued = new Signal();
  return {
    projection: queueProjection(() => ordersQueued.signal()),
    async enqueue(orderId) {
      await db.query(
        `INSERT INTO refund_process (order_id, queued_at) VALUES ($1, now())
         ON CONFLICT (order_id) DO UPDATE SET requeued = true`,
        [orderId],
      );
      ordersQueued.signal();
    },
    waitForOrders: (ms) => ordersQueued.wait(ms),
    leasesFor: (owner) => new RefundQueueLeases(inBackground(db), owner),
  };
}

/** The order events that give the refund process work; the checkpoint moves with the rows, so none is missed. */
const queueProjection = (queued: () => void): SqlProjection => ({
  name: 'refund-process-queue',
  rebuild: {
    refused:
      "its rows are the refund process's work queue, not a view of the log: the process deletes an order's " +
      'row once the order needs nothing more, so a replay would queue every refund ever made again',
  },
  eventTypes: new Set(['RefundRequested', 'ReturnReceived', 'OrderCancelled']),
  follow: { gatherMs: 20, maxPollIntervalMs: 50 },
  afterCommit: queued,
  async apply(tx, events) {
    const orderIds = events
      .filter(
        (e) => e.type !== 'OrderCancelled' || (e.data as { afterPayment?: boolean }).afterPayment === true,
      )
      .map((e) => (e.data as { orderId: string }).orderId);
    if (orderIds.length === 0) return;
    // An order a worker is driving now is marked to be driven again: its new work may have come too late for it.
    await tx.query(
      `INSERT INTO refund_process AS q (order_id, queued_at)
       SELECT DISTINCT order_id, now() FROM unnest($1::text[]) AS o(order_id)
       ON CONFLICT (order_id) DO UPDATE SET requeued = q.requeued OR q.lease_owner IS NOT NULL`,
      [orderIds],
    );
  },
});

/** Leases on queued orders: one worker drives an order at a time, until its lease runs out. */
export class RefundQueueLeases {
  constructor(
    private readonly db: SqlClient,
    private readonly owner: string,
  ) {}

  /** Up to `limit` orders nobody holds, oldest first, leased to this worker for `leaseMs`. */
  async claim(limit: number, leaseMs: number): Promise<string[]> {
    const rows = await this.db.query<{ order_id: string }>(
      `UPDATE refund_process SET leased_until = now() + make_interval(secs => $2 / 1000.0), lease_owner = $3,
              attempts = attempts + 1
        WHERE order_id IN (
          SELECT order_id FROM refund_process
           WHERE leased_until IS NULL OR leased_until < now()
           ORDER BY leased_until NULLS FIRST, queued_at
           LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING order_id`,
      [limit, leaseMs, this.owner],
    );
    return rows.map((r) => r.order_id);
  }

  /** Done with the order, unless it was queued again meanwhile: then it is released for another drive. */
  async finish(orderId: string): Promise<void> {
    const deleted = await this.db.query(
      `DELETE FROM refund_process WHERE order_id = $1 AND lease_owner = $2 AND NOT requeued RETURNING order_id`,
      [orderId, this.owner],
    );
    if (deleted.length === 0)
      await this.db.query(
        `UPDATE refund_process SET requeued = false, leased_until = NULL, lease_owner = NULL
          WHERE order_id = $1 AND lease_owner = $2`,
        [orderId, this.owner],
      );
  }

  /** Keeps the order leased until `delayMs` from now, then anyone may try again. */
  async retryLater(orderId: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE refund_process SET leased_until = now() + make_interval(secs => $2 / 1000.0)
        WHERE order_id = $1 AND lease_owner = $3`,
      [orderId, delayMs, this.owner],
    );
  }

  async renew(orderId: string, leaseMs: number): Promise<void> {
    await this.retryLater(orderId, leaseMs);
  }

  async pending(): Promise<number> {
    const [row] = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM refund_process`);
    return Number(row?.n ?? 0);
  }
}
