import { randomUUID } from 'node:crypto';
import type { RefundProcess } from './refund-process.ts';

export type RefundWorkerOptions = Readonly<{
  /** Orders this worker drives at once. */
  concurrency?: number;
  /** How long a claimed order stays with this worker before another may take it over. */
  leaseMs?: number;
  /** Pause before a failed or waiting order is tried again (doubles per attempt, capped). */
  retryDelayMs?: number;
  /** The longest pause between two tries of one order. */
  maxRetryDelayMs?: number;
  onError?: (error: unknown, orderId?: string) => void;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the refund process for the orders in its queue: claims a few at a time under a lease, drives
 * each, and removes it from the queue once it needs nothing more; a failed refund or one waiting for
 * its capture is tried again later (never dropped). Several workers may run side by side; leases keep
 * them off each other's orders.
 */
export function startRefundWorker(process: RefundProcess, options: RefundWorkerOptions = {}) {
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  const queue = process.queue.leasesFor(`refund-worker-${randomUUID()}`);
  const inFlight = new Set<string>();
  const failures = new Map<string, number>();
  let stopped = false;

  const driveOne = async (orderId: string) => {
    const renewal = setInterval(() => void queue.renew(orderId, leaseMs).catch(() => undefined), leaseMs / 3);
    try {
      await process.drive(orderId);
      failures.delete(orderId);
      await queue.finish(orderId);
    } catch (error) {
      const failed = (failures.get(orderId) ?? 0) + 1;
      failures.set(orderId, failed);
      options.onError?.(error, orderId);
      await queue
        .retryLater(orderId, Math.min(retryDelayMs * 2 ** (failed - 1), maxRetryDelayMs))
        .catch(() => undefined);
    } finally {
      clearInterval(renewal);
      inFlight.delete(orderId);
    }
  };

  const claimLoop = (async () => {
    let pause = 5;
    while (!stopped) {
      try {
        const free = concurrency - inFlight.size;
        const claimed = free > 0 ? await queue.claim(free, leaseMs) : [];
        for (const orderId of claimed) {
          inFlight.add(orderId);
          void driveOne(orderId);
        }
        pause = claimed.length > 0 ? 1 : Math.min(pause * 2, 100);
      } catch (error) {
        options.onError?.(error);
        await sleep(500);
        continue;
      }
      await process.queue.waitForOrders(pause);
    }
  })();

  return {
    queue,
    async stop() {
      stopped = true;
      await claimLoop;
      while (inFlight.size > 0) await sleep(10);
    },
  };
}

export type RefundWorker = ReturnType<typeof startRefundWorker>;
