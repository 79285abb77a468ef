import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one process; `/metrics` serves `registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    appendConflicts: new Counter({
      name: 'eventstore_append_conflicts_total',
      help: 'Appends refused because another writer changed the stream first',
      labelNames: ['category'] as const,
      registers: [registry],
    }),
    commandRetries: new Counter({
      name: 'command_retries_total',
      help: 'Commands decided again after a version conflict',
      labelNames: ['category'] as const,
      registers: [registry],
    }),
    sagaSteps: new Counter({
      name: 'checkout_saga_steps_total',
      help: 'Checkout saga steps by outcome',
      labelNames: ['step', 'outcome'] as const,
      registers: [registry],
    }),
    sagaSlots: new Gauge({
      name: 'checkout_saga_slots',
      help: 'Orders the checkout saga drives at once in this process now (fewer during a surge)',
      registers: [registry],
    }),
    sagaClaimedWait: new Gauge({
      name: 'checkout_saga_claimed_wait_seconds',
      help: 'How long the oldest order the checkout saga last claimed had waited since it was placed (0: it found none)',
      registers: [registry],
    }),
    fraudDecisions: new Counter({
      name: 'fraud_decisions_total',
      help: 'Fraud rule decisions recorded on orders, by the rule that decided (none: allowed), decision and mode',
      labelNames: ['rule', 'decision', 'mode'] as const,
      registers: [registry],
    }),
    paymentGatewayDuration: new Histogram({
      name: 'payment_gateway_duration_seconds',
      help: 'Payment gateway call latency by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    projectionLag: new Histogram({
      name: 'projection_lag_seconds',
      help: 'Append to visible: time from recording the oldest event of an applied batch to the commit of that batch',
      labelNames: ['projection'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    projectionLagLast: new Gauge({
      name: 'projection_lag_last_seconds',
      help: 'The lag of the last batch each projection applied',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
  };
}

/** Records a projection's lag for a batch it has just applied: now minus its oldest event's recording time. */
export function observeProjectionLag(
  metrics: Pick<Metrics, 'projectionLag' | 'projectionLagLast'>,
  projection: string,
  events: readonly { recordedAt: string }[],
  now = Date.now(),
) {
  if (events.length === 0) return;
  let oldest = Infinity;
  for (const event of events) oldest = Math.min(oldest, Date.parse(event.recordedAt));
  const seconds = Math.max(0, (now - oldest) / 1000);
  metrics.projectionLag.labels(projection).observe(seconds);
  metrics.projectionLagLast.labels(projection).set(seconds);
}

export type Metrics = ReturnType<typeof createMetrics>;
