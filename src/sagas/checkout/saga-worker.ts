import { startQueueWorker, type WorkerOptions } from '../worker.ts';
import type { CheckoutSaga } from './checkout-saga.ts';
import { expireDueReservations, type ReservationTimerDependencies } from './reservation-expiry.ts';

export type SagaWorkerOptions = WorkerOptions &
  Readonly<{
    /** How often due reservations are looked for. */
    expiryIntervalMs?: number;
  }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a worker runs: the saga (with its queue), and the expiry timer's database, streams and commands. */
export type SagaWorkerDependencies = ReservationTimerDependencies & Readonly<{ saga: CheckoutSaga }>;

/**
 * Runs the checkout saga for the orders in its queue (`../worker.ts`), and the reservation expiry
 * timer. A confirmed order waiting for its capture is set aside, so it does not hold up the next
 * order's confirmation; the streams of the orders claimed together are read in one go.
 */
export function startSagaWorker({ saga, ...timer }: SagaWorkerDependencies, options: SagaWorkerOptions = {}) {
  const orders = startQueueWorker(
    {
      queue: saga.queue,
      leaseOwnerPrefix: 'worker',
      drive: (orderId, capturing) => saga.drive(orderId, capturing),
      prepare: (orderIds) => saga.prepare(orderIds),
    },
    {
      concurrency: options.concurrency ?? 32,
      leaseMs: options.leaseMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxRetryDelayMs: 30_000,
      maxPollMs: 50,
      // Checkout is on the customer's path: a slot freed is a placed order confirmed sooner.
      claimWhenSlotFrees: true,
      yielding: options.yielding,
      onPace: options.onPace,
      onError: options.onError,
    },
  );
  let stopped = false;

  const expiryLoop = (async () => {
    while (!stopped) {
      await expireDueReservations(timer).catch((error) => options.onError?.(error));
      await sleep(options.expiryIntervalMs ?? 1_000);
    }
  })();

  return {
    queue: orders.queue,
    async stop() {
      stopped = true;
      await Promise.all([orders.stop(), expiryLoop]);
    },
  };
}

export type SagaWorker = ReturnType<typeof startSagaWorker>;
