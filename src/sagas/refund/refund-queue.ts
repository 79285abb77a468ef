import type { SqlClient } from '../../db/sql-client.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { createWorkQueue, type WorkQueue } from '../work-queue.ts';

/**
 * The refund process's work queue (`work-queue.ts`): orders it still has work for (a refund promised, a
 * return received, an order cancelled after payment), a row each in `refund_process`. The order events
 * that ask for work enter it through its projection.
 */
export type RefundQueue = WorkQueue;

export const createRefundQueue = (db: SqlClient): RefundQueue =>
  createWorkQueue(db, { table: 'refund_process', queuedAt: 'queued_at' }, queueProjection);

/** The order events that give the refund process work; the checkpoint moves with the rows, so none is missed. */
const queueProjection = (queued: (orders: number) => void): SqlProjection => ({
  name: 'refund-process-queue',
  rebuild: {
    refused:
      "its rows are the refund process's work queue, not a view of the log: the process deletes an order's " +
      'row once the order needs nothing more, so a replay would queue every refund ever made again',
  },
  eventTypes: new Set(['RefundRequested', 'ReturnReceived', 'OrderCancelled']),
  readsThenWrites: true,
  follow: { gatherMs: 20, maxPollIntervalMs: 50 },
  afterCommit: (events) => queued(events.length),
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
