import { randomUUID } from 'node:crypto';
import type { CheckoutSaga } from './checkout-saga.ts';
import { expireDueReservations, type ReservationTimerDependencies } from './reservation-expiry.ts';

export type SagaWorkerOptions = Readonly<{
  /** Orders this worker drives at once towards confirmation (as many again may be capturing). */
  concurrency?: number;
  /** How long a claimed order stays with this worker before another may take it over. */
  leaseMs?: number;
  /** Pause before a failed order is tried again (doubles per attempt, capped). */
  retryDelayMs?: number;
  /** How often due reservations are looked for. */
  expiryIntervalMs?: number;
  onError?: (error: unknown, orderId?: string) => void;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a worker runs: the saga (with its queue), and the expiry timer's database, streams and commands. */
export type SagaWorkerDependencies = ReservationTimerDependencies & Readonly<{ saga: CheckoutSaga }>;

/**
 * Runs the checkout saga for the orders in its queue: claims a few at a time under a lease, drives
 * each, and removes it from the queue once it needs nothing more; orders queued in this process wake
 * it at once. Also runs the reservation expiry timer. Several workers (processes) may run side by
 * side; leases keep them off each other's orders.
 */
export function startSagaWorker({ saga, ...timer }: SagaWorkerDependencies, options: SagaWorkerOptions = {}) {
  const concurrency = options.concurrency ?? 32;
  const leaseMs = options.leaseMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const queue = saga.queue.leasesFor(`worker-${randomUUID()}`);
  const inFlight = new Set<string>();
  /** Orders in flight that are confirmed and only need their capture: off the path to confirmation. */
  const capturing = new Set<string>();
  const failures = new Map<string, number>();
  let stopped = false;
  /** Set while the claim loop waits with every slot taken: the next drive to end wakes it. */
  let slotFreed: (() => void) | undefined;

  const driveOne = async (orderId: string) => {
    // A long drive (a slow gateway) keeps its lease, so no other worker starts on the same order.
    const renewal = setInterval(() => void queue.renew(orderId, leaseMs).catch(() => undefined), leaseMs / 3);
    try {
      await saga.drive(orderId, () => capturing.add(orderId));
      failures.delete(orderId);
      await queue.finish(orderId);
    } catch (error) {
      const failed = (failures.get(orderId) ?? 0) + 1;
      failures.set(orderId, failed);
      options.onError?.(error, orderId);
      await queue
        .retryLater(orderId, Math.min(retryDelayMs * 2 ** (failed - 1), 30_000))
        .catch(() => undefined);
    } finally {
      clearInterval(renewal);
      capturing.delete(orderId);
      inFlight.delete(orderId);
      slotFreed?.();
    }
  };

  const claimLoop = (async () => {
    let pause = 5;
    let full = false;
    while (!stopped) {
      try {
        // `concurrency` orders on their way to confirmation, and as many more being captured: a
        // confirmed order's capture does not hold up the next order's confirmation.
        const free = Math.min(
          concurrency - (inFlight.size - capturing.size),
          2 * concurrency - inFlight.size,
        );
        const claimed = free > 0 ? await queue.claim(free, leaseMs) : [];
        full = free <= 0 || claimed.length === free;
        // Their streams in two reads for all of them (a drive reads its own if this fails).
        await saga.prepare(claimed).catch((error) => options.onError?.(error));
        for (const orderId of claimed) {
          inFlight.add(orderId);
          void driveOne(orderId);
        }
        pause = claimed.length > 0 ? 1 : Math.min(pause * 2, 50);
      } catch (error) {
        options.onError?.(error);
        await sleep(500);
        continue;
      }
      // Orders queued by this process's projection wake the loop, and so does a slot set free while
      // every slot was taken (orders may be waiting); orders queued elsewhere are found by polling.
      // (A few milliseconds after the first slot, so that one claim takes the slots freed meanwhile.)
      const freed = full
        ? new Promise<void>((resolve) => (slotFreed = () => setTimeout(resolve, 5)))
        : undefined;
      await Promise.race([saga.queue.waitForOrders(pause), ...(freed ? [freed] : [])]);
      slotFreed = undefined;
    }
  })();

  const expiryLoop = (async () => {
    while (!stopped) {
      await expireDueReservations(timer).catch((error) => options.onError?.(error));
      await sleep(options.expiryIntervalMs ?? 1_000);
    }
  })();

  return {
    queue,
    async stop() {
      stopped = true;
      await Promise.all([claimLoop, expiryLoop]);
      while (inFlight.size > 0) await sleep(10);
    },
  };
}

export type SagaWorker = ReturnType<typeof startSagaWorker>;
