import type { SqlClient } from '../../db/sql-client.ts';
import type { CustomerFacts } from '../../domain/fraud/index.ts';
import type { OrderScreened } from '../../domain/order/index.ts';
import type { RecordedEvent } from '../../eventstore/event-store.ts';
import { Signal } from '../../eventstore/signal.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { SqlProjection } from '../../subscriptions/index.ts';
import { fraudVelocityProjection } from './projection.ts';
import { customerFactsAt, listReviews, type FactsRequest, type ReviewFilter } from './queries.ts';

export { FRAUD_PROJECTION } from './projection.ts';
export { REVIEW_STATUSES, type HeldOrder, type ReviewFilter, type ReviewStatus } from './queries.ts';

export class FactsNotCaughtUpError extends Error {
  override name = 'FactsNotCaughtUpError';
}

export type FraudReadModel = Readonly<{
  projection: SqlProjection;
  /**
   * The customer's facts up to the order, once the projection has applied its placement and so every
   * event before it: waits for that (woken by this process's batches, else polling) for `waitMs` at
   * most, then throws, and the saga tries the order again later. No lag lets an order slip through.
   */
  factsUpTo(request: FactsRequest): Promise<CustomerFacts>;
  reviews: (filter: ReviewFilter) => ReturnType<typeof listReviews>;
}>;

export type FraudReadModelOptions = Readonly<{
  /** Counts the decisions this process's projection applies, by rule (`fraud_decisions_total`). */
  metrics?: Pick<Metrics, 'fraudDecisions'>;
  waitMs?: number;
  pollMs?: number;
}>;

export function createFraudReadModel(db: SqlClient, options: FraudReadModelOptions = {}): FraudReadModel {
  const applied = new Signal();
  const waitMs = options.waitMs ?? 5_000;
  const pollMs = options.pollMs ?? 25;
  const afterCommit = (events: readonly RecordedEvent[]) => {
    for (const event of events)
      if (event.type === 'OrderScreened') {
        const { rule, decision, enforced } = event.data as OrderScreened['data'];
        options.metrics?.fraudDecisions
          .labels(rule ?? 'none', decision, enforced ? 'enforce' : 'shadow')
          .inc();
      }
    applied.signal();
  };
  return {
    projection: fraudVelocityProjection(afterCommit),
    async factsUpTo(request) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const seen = applied.count;
        const facts = await customerFactsAt(db, request);
        if (facts) return facts;
        if (Date.now() >= deadline)
          throw new FactsNotCaughtUpError(
            `the fraud read model has not reached order ${request.orderId}'s placement after ${waitMs} ms`,
          );
        await applied.wait(pollMs, seen);
      }
    },
    reviews: (filter) => listReviews(db, filter),
  };
}
