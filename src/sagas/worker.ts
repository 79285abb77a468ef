import { randomUUID } from 'node:crypto';
import type { WorkQueue } from './work-queue.ts';

/** How a process's worker paces itself; each process picks its own figures (`saga-worker.ts`, `refund-worker.ts`). */
export type WorkerPace = Readonly<{
  /** Orders driven at once (as many again may be set aside, see `OrderDriver.drive`). */
  concurrency: number;
  /** How long a claimed order stays with this worker before another may take it over. */
  leaseMs: number;
  /** Pause before a failed order is tried again, doubled per attempt up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** The longest wait between two claims while the queue looks empty. */
  maxPollMs: number;
  /** Claim as soon as a slot frees while every slot is taken, rather than at the next poll. */
  claimWhenSlotFrees: boolean;
  /**
   * While orders arrive faster than `above` a second (a surge), drive only `concurrency` at once: the
   * requests placing them come first, and the queue holds the rest until the surge is over. Unless
   * the orders it claims have waited `forMs` or longer: arrivals that high for that long are the usual
   * load now, which the worker must keep up with (or the queue grows without end), so it drives all
   * its slots until the orders it claims are younger again.
   */
  yielding?: Readonly<{ above: number; concurrency: number; forMs: number }>;
  /**
   * Told at each turn of the claim loop the orders driven at once now and how long the oldest order of
   * the last claim had waited (metrics).
   */
  onPace?: (pace: Readonly<{ slots: number; waitedMs: number }>) => void;
  onError?: (error: unknown, orderId?: string) => void;
}>;

/** What a worker's caller may set; the process fills in the rest of its pace. */
export type WorkerOptions = Partial<
  Pick<WorkerPace, 'concurrency' | 'leaseMs' | 'retryDelayMs' | 'yielding' | 'onPace' | 'onError'>
>;

/** The process a worker runs: its queue, and how it drives one order. */
export type OrderDriver = Readonly<{
  queue: WorkQueue;
  /** Names this worker's leases, so a lease says which process holds it. */
  leaseOwnerPrefix: string;
  /**
   * Drives one order until it needs nothing more, or throws to have it tried again later. A drive
   * may `setAside()` an order whose remaining work is off the critical path: it then takes a slot of
   * a second pool as large as the first, so it does not hold up the next order.
   */
  drive(orderId: string, setAside: () => void): Promise<void>;
  /** Optional: a head start for the orders just claimed (a drive still reads what it needs if this fails). */
  prepare?(orderIds: readonly string[]): Promise<void>;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a process for the orders in its queue: claims a few at a time under a lease, drives each, and
 * removes it from the queue once it needs nothing more; a failed order is tried again later (never
 * dropped). Orders queued in this process wake it at once. Several workers (processes) may run side
 * by side; leases keep them off each other's orders.
 */
export function startQueueWorker(driver: OrderDriver, pace: WorkerPace) {
  const { leaseMs, onError, yielding } = pace;
  const queue = driver.queue.leasesFor(`${driver.leaseOwnerPrefix}-${randomUUID()}`);
  const inFlight = new Set<string>();
  const setAside = new Set<string>();
  const failures = new Map<string, number>();
  let stopped = false;
  /** Set while the claim loop waits with every slot taken: the next drive to end wakes it. */
  let slotFreed: (() => void) | undefined;

  const driveOne = async (orderId: string) => {
    // A long drive (a slow gateway) keeps its lease, so no other worker starts on the same order.
    const renewal = setInterval(() => void queue.renew(orderId, leaseMs).catch(() => undefined), leaseMs / 3);
    try {
      await driver.drive(orderId, () => setAside.add(orderId));
      failures.delete(orderId);
      await queue.finish(orderId);
    } catch (error) {
      const failed = (failures.get(orderId) ?? 0) + 1;
      failures.set(orderId, failed);
      onError?.(error, orderId);
      await queue
        .retryLater(orderId, Math.min(pace.retryDelayMs * 2 ** (failed - 1), pace.maxRetryDelayMs))
        .catch(() => undefined);
    } finally {
      clearInterval(renewal);
      setAside.delete(orderId);
      inFlight.delete(orderId);
      slotFreed?.();
    }
  };

  const claimLoop = (async () => {
    let pause = 5;
    let full = false;
    /** How long the oldest order of the last claim had waited (0: it found none): a long surge ends the yield. */
    let waitedMs = 0;
    while (!stopped) {
      try {
        const concurrency =
          yielding && driver.queue.arrivalsPerSecond() > yielding.above && waitedMs < yielding.forMs
            ? yielding.concurrency
            : pace.concurrency;
        const free = Math.min(concurrency - (inFlight.size - setAside.size), 2 * concurrency - inFlight.size);
        const claim = free > 0 ? await queue.claim(free, leaseMs) : undefined;
        const claimed = claim?.orderIds ?? [];
        if (claim) waitedMs = claim.waitedMs;
        pace.onPace?.({ slots: concurrency, waitedMs });
        full = pace.claimWhenSlotFrees && (free <= 0 || claimed.length === free);
        await driver.prepare?.(claimed).catch((error) => onError?.(error));
        for (const orderId of claimed) {
          inFlight.add(orderId);
          void driveOne(orderId);
        }
        pause = claimed.length > 0 ? 1 : Math.min(pause * 2, pace.maxPollMs);
      } catch (error) {
        onError?.(error);
        await sleep(500);
        continue;
      }
      // A few milliseconds after the first slot frees, so that one claim takes the slots freed meanwhile.
      const freed = full
        ? new Promise<void>((resolve) => (slotFreed = () => setTimeout(resolve, 5)))
        : undefined;
      await Promise.race([driver.queue.waitForOrders(pause), ...(freed ? [freed] : [])]);
      slotFreed = undefined;
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

export type QueueWorker = ReturnType<typeof startQueueWorker>;
