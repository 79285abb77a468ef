import { startQueueWorker, type WorkerOptions } from '../worker.ts';
import type { RefundProcess } from './refund-process.ts';

export type RefundWorkerOptions = WorkerOptions &
  Readonly<{
    /** The longest pause between two tries of one order. */
    maxRetryDelayMs?: number;
  }>;

/**
 * Runs the refund process for the orders in its queue (`../worker.ts`); a failed refund or one
 * waiting for its capture is tried again later (never dropped).
 */
export function startRefundWorker(process: RefundProcess, options: RefundWorkerOptions = {}) {
  return startQueueWorker(
    {
      queue: process.queue,
      leaseOwnerPrefix: 'refund-worker',
      drive: (orderId) => process.drive(orderId),
    },
    {
      concurrency: options.concurrency ?? 8,
      leaseMs: options.leaseMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
      maxPollMs: 100,
      // Refunds are off the customer's path: polling finds the next one soon enough.
      claimWhenSlotFrees: false,
      onError: options.onError,
    },
  );
}

export type RefundWorker = ReturnType<typeof startRefundWorker>;
