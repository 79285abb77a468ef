import { setTimeout as sleep } from 'node:timers/promises';
import { inBackground, type SqlClient } from '../../db/sql-client.ts';
import type { CustomerFacts } from '../../domain/fraud/index.ts';
import type { Checkpoint, EventStore } from '../../eventstore/event-store.ts';
import {
  applyFencedBatch,
  compareCheckpoints,
  ensureCheckpointRow,
  loadCheckpoint,
  type SqlProjection,
} from '../../subscriptions/index.ts';
import { FRAUD_PROJECTION, fraudVelocityProjection } from './projection.ts';
import { customerFactsAt, listReviews, type FactsRequest, type ReviewFilter } from './queries.ts';

export { FRAUD_PROJECTION } from './projection.ts';
export { REVIEW_STATUSES, type HeldOrder, type ReviewFilter, type ReviewStatus } from './queries.ts';

export class FactsNotCaughtUpError extends Error {
  override name = 'FactsNotCaughtUpError';
}

export type FraudReadModel = Readonly<{
  projection: SqlProjection;
  /**
   * The customer's facts up to the order, counted only once the read model has applied the order's
   * placement and so every event before it in the log. A read model that is behind is brought up to
   * there first, here, as its live follower would (fenced by the stored checkpoint, so the two never
   * apply an event twice): no lag lets an order slip through, and no order waits for the follower's
   * next batch. Throws if the log cannot be read that far within `waitMs` (a transaction older than
   * the placement still open); the saga then tries the order again later.
   */
  factsUpTo(request: FactsRequest): Promise<CustomerFacts>;
  reviews: (filter: ReviewFilter) => ReturnType<typeof listReviews>;
}>;

export type FraudReadModelOptions = Readonly<{
  /** The log, read from the read model's checkpoint when it is behind an order being screened. */
  store: Pick<EventStore, 'readAll'>;
  waitMs?: number;
  batchSize?: number;
}>;

export function createFraudReadModel(db: SqlClient, options: FraudReadModelOptions): FraudReadModel {
  const projection = fraudVelocityProjection();
  const background = inBackground(db);
  const waitMs = options.waitMs ?? 5_000;
  const batchSize = options.batchSize ?? 500;
  const types = [...projection.eventTypes];
  let rowMade: Promise<unknown> | undefined;
  // One catch-up at a time in this process: the orders screened meanwhile look again once it is done.
  let catchingUp: Promise<void> | undefined;

  /** Applies the log from the stored checkpoint on, until it is at or past `target` (or nothing more is readable). */
  async function catchUp(target: Checkpoint): Promise<void> {
    rowMade ??= ensureCheckpointRow(background, FRAUD_PROJECTION);
    await rowMade;
    for (;;) {
      const stored = await loadCheckpoint(background, FRAUD_PROJECTION);
      if (compareCheckpoints(stored, target) >= 0) return;
      const batch = await options.store.readAll({ after: stored, maxCount: batchSize, types });
      if (compareCheckpoints(batch.next, stored) <= 0) return;
      await applyFencedBatch(background, projection, batch.events, stored, batch.next);
    }
  }

  return {
    projection,
    async factsUpTo(request) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const read = await customerFactsAt(background, request);
        if ('facts' in read) return read.facts;
        if (!read.placedIn) throw new FactsNotCaughtUpError(`order ${request.orderId} was never placed`);
        const target = read.placedIn;
        catchingUp ??= catchUp(target).finally(() => (catchingUp = undefined));
        await catchingUp;
        if (Date.now() >= deadline)
          throw new FactsNotCaughtUpError(
            `the fraud read model could not reach order ${request.orderId}'s placement in ${waitMs} ms`,
          );
        // Another catch-up ran, or the placement is not readable yet: look again, after a moment if so.
        const again = await loadCheckpoint(background, FRAUD_PROJECTION);
        if (compareCheckpoints(again, target) < 0) await sleep(10);
      }
    },
    reviews: (filter) => listReviews(db, filter),
  };
}
