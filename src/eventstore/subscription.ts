import { setTimeout as delay } from 'node:timers/promises';
import type {
  Checkpoint,
  ReadAllBatch,
  ReadAllOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './event-store.ts';
import { LOG_START } from './event-store.ts';

type LogSource = {
  readAll(options: ReadAllOptions & { after: Checkpoint }): Promise<ReadAllBatch>;
  /** How many appends this process has seen so far (compared, not counted on). */
  appendsSoFar(): number;
  /**
   * Resolves when something may have been appended since the count was `seen` (true), or after `ms`
   * (false).
   */
  waitForAppend(ms: number, seen: number): Promise<boolean>;
  /**
   * How long to wait once polling found nothing, when the source is told of every append (the
   * signal is then the way new events are found, polling only a safety net); undefined when not.
   */
  quietWaitMs(): number | undefined;
};

/** How long a subscription polls for an append it was told of but cannot read yet. */
const UNREAD_POLL_MS = 1_000;

/**
 * Catch-up then live: reads the log in batches from the checkpoint, hands each batch to the handler,
 * and advances only after the handler succeeded (a failing batch is retried, never skipped). When
 * caught up it waits for an append, polling with a growing pause up to `maxPollIntervalMs`; where
 * the source is told of every append, it then waits for the next one (or the source's quiet wait).
 * An append it is told of restarts the short pauses, and it polls until the append's events are read,
 * for up to a second: they may not be readable at once (a transaction begun before them, still
 * running, holds them back).
 */
export function followLog(
  source: LogSource,
  handler: SubscriptionHandler,
  options: SubscribeOptions,
  onStopped: () => void,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const maxPause = options.maxPollIntervalMs ?? 50;
  const gatherMs = options.gatherMs ?? 100;
  let checkpoint: Checkpoint = options.after ?? LOG_START;
  let stopped = false;
  // Stopping ends whatever wait the loop is in at once.
  const stopping = new AbortController();
  const untilStopped = new Promise<false>((resolve) =>
    stopping.signal.addEventListener('abort', () => resolve(false), { once: true }),
  );
  const sleep = (ms: number) => delay(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  const loop = (async () => {
    let pause = 1;
    // Since when it was told of an append it has not read yet (held back by an older transaction).
    let unreadSince: number | undefined;
    while (!stopped) {
      try {
        // Counted before the read: an append signalled while it runs ends the wait below at once.
        const seen = source.appendsSoFar();
        const batch = await source.readAll({ after: checkpoint, maxCount: batchSize, types: options.types });
        // Without `types`, the read moves on exactly when it returns events; with them, it can move
        // past events of other types only, and the handler is told so (to move its checkpoint on).
        const moved =
          batch.events.length > 0 ||
          batch.next.transactionId !== checkpoint.transactionId ||
          batch.next.globalPosition !== checkpoint.globalPosition;
        if (moved) {
          await handler(batch.events, batch.next);
          checkpoint = batch.next;
          pause = 1;
          unreadSince = undefined;
          // Caught up (a short batch): let the next events gather for a moment rather than reading
          // them a few at a time, each batch costing the subscriber a read and (projections) a commit;
          // where the log is polled, for no longer than a poll.
          const gather = source.quietWaitMs() === undefined ? Math.min(gatherMs, maxPause) : gatherMs;
          if (batch.events.length < batchSize && gather > 0) await sleep(gather);
          continue;
        }
        const quietWait = source.quietWaitMs();
        const quiet =
          pause >= maxPause &&
          quietWait !== undefined &&
          (unreadSince === undefined || performance.now() - unreadSince > UNREAD_POLL_MS);
        const woken = await Promise.race([
          source.waitForAppend(quiet ? Math.max(maxPause, quietWait) : pause, seen),
          untilStopped,
        ]);
        if (woken) unreadSince ??= performance.now();
        pause = woken && quiet ? 1 : Math.min(pause * 2, maxPause);
      } catch (error) {
        options.onError?.(error);
        await sleep(Math.min(maxPause * 4, 1000));
      }
    }
  })();

  return {
    get checkpoint() {
      return checkpoint;
    },
    async stop() {
      stopped = true;
      stopping.abort();
      await loop;
      onStopped();
    },
  };
}
